import { retryDelay } from './retry.js';

const p = { max_attempts: 4, base_delay_ms: 100, max_delay_ms: 1000 };

describe('retryDelay', () => {
  it.each([
    [1, 1, 100], [2, 1, 200], [3, 1, 400], [3, 0.5, 200], [1, 0, 0],
  ])('after attempt %d with random %d waits %d ms', (attempt, r, want) => {
    expect(retryDelay(attempt, p, () => r, 0)).toBe(want);
  });
  it('caps at max_delay_ms', () => {
    expect(retryDelay(3, { ...p, max_attempts: 10, base_delay_ms: 800 }, () => 1)).toBe(1000);
  });
  it('never waits less than the upstream asked, up to the cap', () => {
    expect(retryDelay(1, p, () => 0, 700)).toBe(700);
    expect(retryDelay(1, p, () => 0, 5000)).toBe(1000);
  });
  it('gives up after max_attempts', () => {
    expect(retryDelay(4, p, () => 1)).toBeNull();
  });
});

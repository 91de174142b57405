import { breakerAfter, closedBreaker, isOpen, type BreakerState } from './breaker.js';

const p = { failures: 3, cooldown_ms: 1000 };
const fail = { ok: false as const, retryAfterMs: 0 };

describe('breakerAfter', () => {
  it.each([
    ['counts a failure', closedBreaker, fail, 10, { failures: 1, open_until: 0 }],
    ['opens at the threshold for the cool-down', { failures: 2, open_until: 0 }, fail, 10, { failures: 3, open_until: 1010 }],
    ["pauses for the provider's retry-after below the threshold", closedBreaker, { ok: false, retryAfterMs: 300 }, 10, { failures: 1, open_until: 310 }],
    ['caps that pause at the cool-down', closedBreaker, { ok: false, retryAfterMs: 5000 }, 10, { failures: 1, open_until: 1010 }],
    ['lets a later retry-after lengthen a pause', { failures: 1, open_until: 310 }, { ok: false, retryAfterMs: 600 }, 100, { failures: 2, open_until: 700 }],
    ['does not stretch an open breaker', { failures: 3, open_until: 1010 }, fail, 500, { failures: 4, open_until: 1010 }],
    ['re-opens on a failure when half-open', { failures: 3, open_until: 1010 }, fail, 1010, { failures: 4, open_until: 2010 }],
    ['closes on a success', { failures: 4, open_until: 1010 }, { ok: true }, 1500, closedBreaker],
  ] as [string, BreakerState, Parameters<typeof breakerAfter>[1], number, BreakerState][])('%s', (_n, s, o, now, want) => {
    expect(breakerAfter(s, o, now, p)).toEqual(want);
  });

  it('returns the same state for a success on a closed breaker (nothing to write)', () => {
    const s = { failures: 0, open_until: 0 };
    expect(breakerAfter(s, { ok: true }, 1, p)).toBe(s);
  });

  it('is open only before open_until', () => {
    expect([isOpen({ failures: 3, open_until: 100 }, 99), isOpen({ failures: 3, open_until: 100 }, 100), isOpen(undefined, 0)]).toEqual([true, false, false]);
  });
});

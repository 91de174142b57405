import { costOf } from './cost.js';

describe('costOf', () => {
  const price = { input_per_mtok: 0.05, output_per_mtok: 0.4 };
  it.each([
    ['asap at list price', 'asap', 1, { input_tokens: 1_000_000, output_tokens: 1_000_000 }, 0.45],
    ['standard at half', 'standard', 0.5, { input_tokens: 1000, output_tokens: 500 }, 0.000125],
    ['nothing used', 'batch', 0.5, { input_tokens: 0, output_tokens: 0 }, 0],
  ] as const)('%s', (_n, window, mult, usage, amount) => {
    expect(costOf(usage, price, window, mult)).toEqual({ amount, window, multiplier: mult });
  });
  it('no price configured: no cost', () => expect(costOf({ input_tokens: 1, output_tokens: 1 }, undefined, 'asap', 1)).toBeNull());
});

import type { Usage, Window } from './request-state.js';

/** A model's list price, per million tokens. */
export interface ModelPrice {
  input_per_mtok: number;
  output_per_mtok: number;
}

/** What a finished request cost: the model's price times its window's multiplier. */
export interface Cost {
  /** In the currency of the configured prices (USD in the examples). */
  amount: number;
  /** The window it ran on and that window's multiplier. */
  window: Window;
  multiplier: number;
}

/** Null when the model has no price configured. Rounded to 1e-9 so sums stay readable. */
export function costOf(usage: Pick<Usage, 'input_tokens' | 'output_tokens'>, price: ModelPrice | undefined, window: Window, multiplier: number): Cost | null {
  if (!price) return null;
  const raw = ((usage.input_tokens * price.input_per_mtok + usage.output_tokens * price.output_per_mtok) / 1_000_000) * multiplier;
  return { amount: Math.round(raw * 1e9) / 1e9, window, multiplier };
}

import type { ModelConfig, ModelTarget } from '@reqrun/config';

/** Weighted pick among a model's primary targets (fallbacks only when no primary exists). */
export function pickTarget(m: ModelConfig, random: () => number): ModelTarget {
  const primaries = m.targets.filter((t) => !t.fallback);
  const pool = primaries.length > 0 ? primaries : m.targets;
  const total = pool.reduce((s, t) => s + t.weight, 0);
  let x = random() * total;
  for (const t of pool) {
    x -= t.weight;
    if (x < 0) return t;
  }
  return pool[pool.length - 1];
}

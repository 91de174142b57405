import type { ModelConfig, ModelTarget } from '@reqrun/config';
import { isOpen, isProbing, type AttemptRecord, type BreakerState } from '@reqrun/contracts';

export interface RouteContext {
  now: number;
  random: () => number;
  /** The provider's breaker as last seen (undefined = never failed). */
  breaker: (provider: string) => BreakerState | undefined;
  /** This request's attempts so far, oldest first. */
  history: readonly AttemptRecord[];
  /** Cap on a provider's retry-after (retry.max_delay_ms). */
  maxWaitMs: number;
  /** Longest hold behind another attempt's probe before looking again: its outcome usually comes long before its lease ends. */
  probeRecheckMs: number;
}

/** Where the next attempt goes, or how long to hold it (every target paused, or the target asked this request to wait). */
export type Route = { target: ModelTarget } | { holdMs: number };

/**
 * Where an attempt goes. A target is *failed* once this request failed on it and *paused* while its provider's
 * breaker is open or another attempt holds its half-open breaker's probe (a half-open breaker with no live probe is
 * not paused: the caller claims the probe before it dispatches). Order: a weighted pick among the primaries that are
 * neither, then the first fallback (in config order) that is neither; when every target that is not paused has failed
 * this request already, the one that failed longest ago (the retry goes round the targets); when every target is
 * paused, hold until the first one re-opens (or, behind a probe, at most `probeRecheckMs`).
 * A provider that answered this request with a retry-after is not called again for it before that has passed
 * (capped by `maxWaitMs`); a retry that goes to another target does not wait.
 */
export function route(m: ModelConfig, c: RouteContext): Route {
  const r = pick(m, c);
  if ('holdMs' in r) return r;
  const wait = askedUntil(c.history, r.target.provider, c.maxWaitMs) - c.now;
  return wait > 0 ? { holdMs: wait } : r;
}

function pick(m: ModelConfig, c: RouteContext): Route {
  const resumesAt = (t: ModelTarget) => pausedUntil(c.breaker(t.provider), c.now, c.probeRecheckMs);
  const open = m.targets.filter((t) => resumesAt(t) === 0);
  if (open.length === 0) return { holdMs: Math.max(1, Math.min(...m.targets.map(resumesAt)) - c.now) };
  const lastFailure = new Map<string, number>();
  c.history.forEach((h, i) => {
    if (h.outcome === 'failed') lastFailure.set(key(h.provider, h.provider_model), i);
  });
  const fresh = open.filter((t) => !lastFailure.has(key(t.provider, t.model!)));
  const primaries = fresh.filter((t) => !t.fallback);
  if (primaries.length > 0) return { target: pickWeighted(primaries, c.random) };
  const fallback = fresh.find((t) => t.fallback);
  if (fallback) return { target: fallback };
  const since = (t: ModelTarget) => lastFailure.get(key(t.provider, t.model!))!;
  return { target: open.reduce((a, b) => (since(b) < since(a) ? b : a)) };
}

/** Epoch ms at which a paused target is looked at again; 0 = not paused. */
function pausedUntil(s: BreakerState | undefined, now: number, probeRecheckMs: number): number {
  if (isOpen(s, now)) return s!.open_until;
  if (isProbing(s, now)) return Math.min(s!.probe_until!, now + probeRecheckMs);
  return 0;
}

const key = (provider: string, model: string) => `${provider}\u0000${model}`;

/** Epoch ms before which `provider` asked not to be called again for this request (0 = no ask). Never shortened, only capped. */
export function askedUntil(history: readonly AttemptRecord[], provider: string, capMs: number): number {
  let until = 0;
  for (const h of history) {
    if (h.provider === provider && h.retry_after_ms && h.ended_at !== undefined) until = Math.max(until, h.ended_at + Math.min(h.retry_after_ms, capMs));
  }
  return until;
}

/** Weighted pick: a target with weight 3 gets three times the traffic of one with weight 1. */
export function pickWeighted(pool: readonly ModelTarget[], random: () => number): ModelTarget {
  const total = pool.reduce((s, t) => s + t.weight, 0);
  let x = random() * total;
  for (const t of pool) {
    x -= t.weight;
    if (x < 0) return t;
  }
  return pool[pool.length - 1];
}

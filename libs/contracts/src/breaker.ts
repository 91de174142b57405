/**
 * A provider's circuit breaker, as stored in the `rr-breakers` bucket (one key per provider) and changed only by
 * `breakerAfter` inside a compare-and-set. Pure: time comes in as `now`.
 *
 * closed (open_until <= now, failures < threshold) -> open after `failures` countable failures in a row
 * open (now < open_until): the scheduler routes around the provider
 * half-open (open_until <= now, failures >= threshold): traffic flows again; one success closes, one failure re-opens.
 * A failure that carries the provider's `retry-after` also pauses it that long (up to the cool-down), below the
 * threshold too: the provider asked every caller to wait, not only the request that got it.
 */
export interface BreakerPolicy {
  /** Countable failures in a row (network, timeout, 408, 409, 429, 5xx) that open the breaker. */
  failures: number;
  /** How long an open breaker keeps traffic away, ms; also the longest pause a provider's retry-after causes. */
  cooldown_ms: number;
}

export interface BreakerState {
  /** Countable failures since the last success. */
  failures: number;
  /** Epoch ms until which the provider is skipped; 0 = never opened since the last success. */
  open_until: number;
}

export const closedBreaker: BreakerState = { failures: 0, open_until: 0 };

export type CallOutcome = { ok: true } | { ok: false; retryAfterMs: number };

/** The next state after one call's outcome; the same object when nothing changes (so no write is needed). */
export function breakerAfter(s: BreakerState, o: CallOutcome, now: number, p: BreakerPolicy): BreakerState {
  if (o.ok) return s.failures === 0 && s.open_until === 0 ? s : closedBreaker;
  const failures = s.failures + 1;
  // Calls that were already running when it opened do not stretch the cool-down; a failure when half-open re-opens it.
  const trips = failures >= p.failures && now >= s.open_until;
  const asked = Math.min(o.retryAfterMs, p.cooldown_ms);
  return { failures, open_until: Math.max(s.open_until, trips ? now + p.cooldown_ms : 0, asked > 0 ? now + asked : 0) };
}

export const isOpen = (s: BreakerState | undefined, now: number): boolean => !!s && now < s.open_until;

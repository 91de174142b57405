/**
 * A provider's circuit breaker, as stored in the `rr-breakers` bucket (one key per provider) and changed only by
 * `breakerAfter` and `claimProbe` inside a compare-and-set. Pure: time comes in as `now`.
 *
 * closed (open_until <= now, failures < threshold) -> open after `failures` countable failures in a row
 * open (now < open_until): the scheduler routes around the provider
 * half-open (open_until <= now, failures >= threshold): one attempt claims the probe and is the only call let through;
 * the rest keep away (another target, or held) until its outcome: a success closes, a failure re-opens.
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
  /** Epoch ms until which one attempt holds the half-open breaker's probe; 0 or absent (states stored before probes) = none. */
  probe_until?: number;
}

export const closedBreaker: BreakerState = { failures: 0, open_until: 0 };

export type CallOutcome = { ok: true } | { ok: false; retryAfterMs: number };

/** The next state after one call's outcome (it ends any probe); the same object when nothing changes (so no write is needed). */
export function breakerAfter(s: BreakerState, o: CallOutcome, now: number, p: BreakerPolicy): BreakerState {
  if (o.ok) return s.failures === 0 && s.open_until === 0 ? s : closedBreaker;
  const failures = s.failures + 1;
  // Calls that were already running when it opened do not stretch the cool-down; a failure when half-open re-opens it.
  const trips = failures >= p.failures && now >= s.open_until;
  const asked = Math.min(o.retryAfterMs, p.cooldown_ms);
  return { failures, open_until: Math.max(s.open_until, trips ? now + p.cooldown_ms : 0, asked > 0 ? now + asked : 0) };
}

export const isOpen = (s: BreakerState | undefined, now: number): boolean => !!s && now < s.open_until;

export const isHalfOpen = (s: BreakerState | undefined, now: number, p: BreakerPolicy): boolean => !!s && now >= s.open_until && s.failures >= p.failures;

/** Neither open nor half-open: any number of calls may go. */
export const isClosed = (s: BreakerState | undefined, now: number, p: BreakerPolicy): boolean => !isOpen(s, now) && !isHalfOpen(s, now, p);

/** An attempt holds the probe: other attempts keep away until its outcome or `probe_until`. */
export const isProbing = (s: BreakerState | undefined, now: number): boolean => !!s && (s.probe_until ?? 0) > now;

/**
 * How long a probe lease lasts: one cool-down. Its outcome normally ends it much sooner, and a probe that says nothing
 * about the provider is given back (see DispatchItem.probe); the lease only bounds one that never reports (its report
 * or give-back was lost, or it is still running): then the next probe goes one cool-down later, the pace an open
 * breaker is retried at.
 * The provider's `timeout_ms` (10 min by default, sized for long generations) would stall every other attempt that long.
 */
export const probeLeaseMs = (p: BreakerPolicy): number => p.cooldown_ms;

/**
 * The half-open state with the caller holding the probe until `now + probeLeaseMs`; undefined when the breaker is
 * not half-open or another caller's lease is live. A lease that ran out without an outcome can be claimed again.
 */
export function claimProbe(s: BreakerState, now: number, p: BreakerPolicy): BreakerState | undefined {
  if (!isHalfOpen(s, now, p) || isProbing(s, now)) return undefined;
  return { ...s, probe_until: now + probeLeaseMs(p) };
}

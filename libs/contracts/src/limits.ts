/**
 * Rate limits shared by every scheduler replica: one state per scope (`tenant.<name>`, `provider.<name>`), kept in
 * the `rr-limits` bucket and changed only by these pure functions inside a compare-and-set.
 *
 * rpm/tpm: a sliding window of `period_s` kept as SLOTS sub-slots. A reservation counts as if made at the end of
 * its slot, plus SKEW_MS, so it is forgotten a little later than it happened: in any `period_s` (+ SKEW_MS) ending at
 * a reservation, the counted total is at least the true one, so the limit is never exceeded.
 * The state stays small whatever the traffic: at most SLOTS + 1 slots and `concurrency` leases.
 * concurrency: a lease per running attempt (`leaseKey`), released when it ends; a lease whose holder died expires by itself.
 * Tokens: reserved before dispatch (an estimate from the prompt and max_tokens), reconciled with the real usage
 * after: the slot the reservation went into is corrected, so concurrent requests cannot overshoot a tpm limit.
 */
export interface LimitSpec {
  rpm?: number;
  tpm?: number;
  concurrency?: number;
  /** The window rpm and tpm count over, seconds (60 unless told). */
  period_s?: number;
}

export interface LimitState {
  /** [slot start ms, requests, tokens], oldest first. */
  slots: [number, number, number][];
  /** leaseKey (request id and attempt) -> lease expiry, epoch ms. */
  leases: Record<string, number>;
}

export const SLOTS = 20;
/**
 * A reservation is made when the scheduler dispatches; the provider sees the call a little later (the adapters pull,
 * mark the attempt started, call). Reservations are remembered this much longer than the period, so calls stay
 * within the limit at the provider as long as that delay varies by less than this (and a slot). The price: a rate
 * of `limit` per `period + SKEW_MS` (0.8 % of a 60 s period; half of a 1 s one, as tests use).
 */
export const SKEW_MS = 500;
/**
 * What a call may take from the adapters' last look at its reservation (`isFresh`) to the provider receiving it:
 * marking the attempt started, the request on the wire. Out of SKEW_MS; the rest is what dispatch may take.
 */
export const CALL_MARGIN_MS = 300;
export const emptyLimitState = (): LimitState => ({ slots: [], leases: {} });
export const periodMs = (s: LimitSpec): number => (s.period_s ?? 60) * 1000;
export const isLimited = (s: LimitSpec | undefined): s is LimitSpec => !!s && (s.rpm !== undefined || s.tpm !== undefined || s.concurrency !== undefined);
/** Whether a reservation in this scope must be settled when its attempt ends (a lease to release, tokens to reconcile). */
export const needsSettle = (s: LimitSpec): boolean => s.tpm !== undefined || s.concurrency !== undefined;

/**
 * A lease is an attempt's, not its request's: the end of attempt N, settled just after the retry is handed back, must
 * not release attempt N+1's lease if the scheduler has already taken it.
 */
export const leaseKey = (attempt: { id: string; attempt: number }): string => `${attempt.id}:${attempt.attempt}`;

export interface Ask {
  /** The lease's key (leaseKey). */
  id: string;
  tokens: number;
  /** How long the lease lives if it is never released (the holder died): longer than one attempt can take. */
  leaseMs: number;
  /** Fraction of each limit this request may use (its window's share, 1 when promoted). */
  share: number;
}

/** `leased`: this reservation took the attempt's lease (false when the attempt held it already, or no concurrency limit). */
export type Reservation = { ok: true; state: LimitState; slot: number; leased: boolean } | { ok: false; waitMs: number };

const cap = (limit: number, share: number) => Math.max(1, Math.floor(limit * share));

/** The state without what no longer counts at `now`. */
export function trim(s: LimitState, spec: LimitSpec, now: number): LimitState {
  const slotMs = periodMs(spec) / SLOTS;
  const slots = s.slots.filter(([start]) => start + slotMs + periodMs(spec) + SKEW_MS > now);
  const leases: Record<string, number> = {};
  for (const [id, until] of Object.entries(s.leases)) if (until > now) leases[id] = until;
  return { slots, leases };
}

/** Takes one request (and its tokens, and a lease) if every limit allows it; else how long until it might. */
export function reserve(state: LimitState, spec: LimitSpec, ask: Ask, now: number): Reservation {
  const s = trim(state, spec, now);
  const p = periodMs(spec);
  const slotMs = p / SLOTS;
  let waitMs = 0;
  if (spec.concurrency !== undefined && !(ask.id in s.leases)) {
    const held = Object.keys(s.leases).length;
    // Leases end when their attempts do (unknown when): look again shortly, or when the first would expire.
    if (held >= cap(spec.concurrency, ask.share)) waitMs = Math.max(waitMs, Math.max(1, Math.min(250, Math.min(...Object.values(s.leases)) - now)));
  }
  const over = (limit: number | undefined, need: number, pick: (slot: [number, number, number]) => number) => {
    if (limit === undefined) return;
    const allowed = cap(limit, ask.share);
    let used = s.slots.reduce((n, slot) => n + pick(slot), 0);
    // A single ask larger than the whole allowance goes alone, into an empty window: else it could never run.
    const fits = (u: number) => u + need <= allowed || u <= 0;
    if (fits(used)) return;
    for (const slot of s.slots) {
      used -= pick(slot);
      if (fits(used)) {
        waitMs = Math.max(waitMs, slot[0] + slotMs + p + SKEW_MS - now);
        return;
      }
    }
  };
  over(spec.rpm, 1, (x) => x[1]);
  over(spec.tpm, ask.tokens, (x) => x[2]);
  if (waitMs > 0) return { ok: false, waitMs: Math.ceil(waitMs) };
  const slot = now - (now % slotMs);
  const slots = s.slots.map((x) => [...x] as [number, number, number]);
  const last = slots.at(-1);
  if (last && last[0] === slot) {
    last[1] += 1;
    last[2] += ask.tokens;
  } else slots.push([slot, 1, ask.tokens]);
  const leased = spec.concurrency !== undefined && !(ask.id in s.leases);
  const leases = spec.concurrency !== undefined ? { ...s.leases, [ask.id]: now + ask.leaseMs } : s.leases;
  return { ok: true, state: { slots, leases }, slot, leased };
}

/**
 * Whether a reservation made in `slot` still covers a call made at `now`. It does while the call reaches the
 * provider within SKEW_MS of the end of that slot: then every call in a period was reserved at most
 * period + slot + SKEW_MS before the latest of them, where `reserve` counted them all. A later call (the dispatch
 * waited in a queue, an adapter was busy or frozen) needs its reservation moved to now (`renew`), or a backlog of
 * late dispatches reaches the provider as one burst. Only rpm and tpm count when; a concurrency lease does not.
 */
export const isFresh = (spec: LimitSpec, slot: number, now: number): boolean =>
  (spec.rpm === undefined && spec.tpm === undefined) || now <= slot + periodMs(spec) / SLOTS + SKEW_MS - CALL_MARGIN_MS;

/** Moves a reservation made in `slot` to `now` in one change: undone there, taken again here if the limits allow. */
export function renew(state: LimitState, spec: LimitSpec, old: { slot: number; tokens: number }, ask: Ask, now: number): Reservation {
  return reserve(settle(state, spec, { id: ask.id, slot: old.slot, requests: -1, tokens: -old.tokens }, now), spec, ask, now);
}

export interface Settlement {
  /** The lease's key (leaseKey). */
  id: string;
  /** The slot the reservation went into. */
  slot: number;
  /** Correction of the request count: -1 undoes the reservation (it was never dispatched), 0 keeps it. */
  requests: number;
  /** Real tokens minus the reserved ones (negative: a refund). */
  tokens: number;
  /**
   * Leave the lease in place: it is the attempt's, not one delivery's, so a delivery that found its attempt running
   * under another one would release that call's lease.
   */
  keepLease?: boolean;
}

/** Releases the lease (unless kept) and reconciles the reservation; a slot already out of the window needs no correction. */
export function settle(state: LimitState, spec: LimitSpec, st: Settlement, now: number): LimitState {
  const s = trim(state, spec, now);
  const leases = { ...s.leases };
  if (!st.keepLease) delete leases[st.id];
  const slots = s.slots.map((x) => (x[0] === st.slot ? ([x[0], Math.max(0, x[1] + st.requests), Math.max(0, x[2] + st.tokens)] as [number, number, number]) : x));
  return { slots, leases };
}

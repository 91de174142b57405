import type { KV } from '@nats-io/kv';
import { emptyLimitState, renew, reserve, settle, type Ask, type Clock, type LimitSpec, type LimitState, type Reservation, type Settlement } from '@reqrun/contracts';
import { changeKey } from './compare-and-set.js';

export type Reserved = { ok: true; slot: number; leased: boolean } | { ok: false; waitMs: number };

/**
 * Rate-limit state shared by every scheduler and adapters process: one key per scope in the `rr-limits` bucket,
 * changed only by the pure `reserve` / `settle` inside a compare-and-set, so two schedulers reserving at once
 * cannot both take the last unit: the loser re-reads and decides again.
 */
export class LimitStore {
  constructor(private readonly kv: KV, private readonly clock: Clock) {}

  reserve(scope: string, spec: LimitSpec, ask: Ask): Promise<Reserved> {
    return this.take(scope, (s, now) => reserve(s, spec, ask, now));
  }

  /** Moves a reservation to now (see `isFresh`); refused = the old one stays, and how long until the limits allow. */
  renew(scope: string, spec: LimitSpec, old: { slot: number; tokens: number }, ask: Ask): Promise<Reserved> {
    return this.take(scope, (s, now) => renew(s, spec, old, ask, now));
  }

  async settle(scope: string, spec: LimitSpec, st: Settlement): Promise<void> {
    await changeKey(this.kv, scope, emptyLimitState, (s) => settle(s, spec, st, this.clock.now()));
  }

  /** The state as stored (tests, metrics). */
  async read(scope: string): Promise<LimitState> {
    const e = await this.kv.get(scope);
    return e?.operation === 'PUT' ? e.json<LimitState>() : emptyLimitState();
  }

  private async take(scope: string, attempt: (s: LimitState, now: number) => Reservation): Promise<Reserved> {
    let taken: Reserved = { ok: false, waitMs: 1 };
    await changeKey(this.kv, scope, emptyLimitState, (s) => {
      const r = attempt(s, this.clock.now());
      taken = r.ok ? { ok: true, slot: r.slot, leased: r.leased } : r;
      return r.ok ? r.state : undefined;
    });
    return taken;
  }
}

import { setTimeout as sleep } from 'node:timers/promises';
import { isFresh, type Clock, type HeldLimit } from '@reqrun/contracts';
import type { LimitStore } from '@reqrun/store';
import { Counter } from 'prom-client';

const renewed = new Counter({
  name: 'reqrun_limit_renewals_total',
  help: 'Rate-limit reservations moved to the time of the call (the dispatch came too late for its own), by scope and whether the call had to wait for room',
  labelNames: ['scope', 'waited'],
});

/** The reservations an attempt calls on, or null: stopped while it waited for the limits (nothing called). */
export type Paced = HeldLimit[] | null;

/**
 * Keeps rate limits true where they count, at the provider. The scheduler reserves when it dispatches and the call
 * comes later; a reservation no longer fresh (`isFresh`: the dispatch waited in a queue, the adapter was busy or
 * frozen) is moved to now before the call, waiting while the limit is full. Without this, a backlog of late
 * dispatches, each reserved in its own second, reaches the provider in one.
 */
export class CallPacer {
  constructor(private readonly limits: LimitStore, private readonly clock: Clock) {}

  async pace(id: string, held: HeldLimit[], leaseMs: number, signal: AbortSignal): Promise<Paced> {
    const out: HeldLimit[] = [];
    for (const h of held) {
      let slot = h.slot;
      let waited = false;
      while (!isFresh(h.spec, slot, this.clock.now())) {
        // share 1: the request was admitted already; its window's share does not apply twice
        const r = await this.limits.renew(h.scope, h.spec, { slot, tokens: h.tokens }, { id, tokens: h.tokens, leaseMs, share: 1 });
        if (r.ok) slot = r.slot;
        else if (!(waited = await sleep(r.waitMs, true, { signal }).catch(() => false))) return null;
      }
      if (slot !== h.slot) renewed.inc({ scope: h.scope, waited: String(waited) });
      out.push(slot === h.slot ? h : { ...h, slot });
    }
    return out;
  }
}

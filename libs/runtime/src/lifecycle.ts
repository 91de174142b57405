import { Inject, Injectable } from '@nestjs/common';
import { isTerminal, Status, type LifecycleEvent, type RequestRecord } from '@reqrun/contracts';
import { storedJson, type Versioned } from '@reqrun/store';
import { Nats } from './nats.handles.js';
import { observeChange } from './request.metrics.js';

const kindOf = (r: RequestRecord): string => {
  switch (r.status) {
    case Status.Queued: return r.attempts === 0 ? 'accepted' : 'retrying';
    case Status.InProgress: return 'started';
    default: return r.status;
  }
};

/**
 * Tells the world a record changed, after the change is stored: a lifecycle event on `rr.event.<kind>.<id>`
 * and, for a terminal state, the wake-up on `rr.done.<waiter>.<id>` carrying the final record; and counts it in the metrics.
 */
@Injectable()
export class Lifecycle {
  constructor(@Inject(Nats) private readonly nats: Nats) {}

  /**
   * The record as the store wrote it, with the KV revision it was stored at when known (subscribers order a request's
   * events by it: they come from different apps, so they may arrive out of order). `replayed`: the change was stored
   * and told before (a crash may have lost the telling); it is told again but not counted again.
   */
  changed({ record: r, revision }: Pick<Versioned, 'record'> & Partial<Versioned>, o: { replayed?: boolean } = {}): void {
    const n = this.nats.names;
    const ev: LifecycleEvent = { id: r.id, tenant: r.tenant, status: r.status, attempts: r.attempts, at: r.updated_at, ...(revision ? { revision } : {}) };
    this.nats.bus.notify(n.event(kindOf(r), r.id), ev);
    if (isTerminal(r.status)) this.nats.bus.notify(n.done(r.id, r.waiter), r, storedJson(r));
    if (!o.replayed) observeChange(r);
  }
}

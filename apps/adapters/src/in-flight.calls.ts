import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Subscription } from '@nats-io/nats-core';
import { Status } from '@reqrun/contracts';
import { Nats } from '@reqrun/runtime';
import { RequestStore } from '@reqrun/store';

export interface Call {
  readonly signal: AbortSignal;
  readonly cancelled: boolean;
  readonly timedOut: boolean;
  /** Stops the provider call: its attempt no longer holds the request (retried elsewhere meanwhile). */
  abandon(): void;
  close(): void;
}

/** Provider calls running in this process, so a cancel event or the per-attempt timeout can abort them. */
@Injectable()
export class InFlightCalls implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly calls = new Map<string, { tenant: string; ctl: AbortController }>();
  private sub?: Subscription;

  constructor(@Inject(Nats) private readonly nats: Nats, private readonly store: RequestStore) {}

  onApplicationBootstrap() {
    this.sub = this.nats.nc.subscribe(this.nats.names.event('cancelled', '*'), {
      callback: (_err, msg) => this.calls.get(msg.subject.slice(msg.subject.lastIndexOf('.') + 1))?.ctl.abort('cancelled'),
    });
    this.nats.onReconnect(() => this.recheck());
  }

  /** A cancel published while this process was away from NATS never arrives: the records say what was cancelled. */
  private recheck(): void {
    for (const [id, c] of this.calls) {
      this.store.get(c.tenant, id).then((r) => r?.status === Status.Cancelled && c.ctl.abort('cancelled'), () => undefined); // unreadable: the call runs on
    }
  }

  onModuleDestroy() {
    this.sub?.unsubscribe();
  }

  has(id: string): boolean {
    return this.calls.has(id);
  }

  open(tenant: string, id: string, timeoutMs: number): Call {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort('timeout'), timeoutMs);
    const entry = { tenant, ctl };
    this.calls.set(id, entry);
    return {
      signal: ctl.signal,
      get cancelled() { return ctl.signal.reason === 'cancelled'; },
      get timedOut() { return ctl.signal.reason === 'timeout'; },
      abandon: () => ctl.abort('stale'),
      close: () => {
        clearTimeout(timer);
        if (this.calls.get(id) === entry) this.calls.delete(id);
      },
    };
  }
}

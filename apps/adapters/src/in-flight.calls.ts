import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Subscription } from '@nats-io/nats-core';
import { Nats } from '@reqrun/runtime';

export interface Call {
  readonly signal: AbortSignal;
  readonly cancelled: boolean;
  readonly timedOut: boolean;
  close(): void;
}

/** Provider calls running in this process, so a cancel event or the per-attempt timeout can abort them. */
@Injectable()
export class InFlightCalls implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly calls = new Map<string, AbortController>();
  private sub?: Subscription;

  constructor(@Inject(Nats) private readonly nats: Nats) {}

  onApplicationBootstrap() {
    this.sub = this.nats.nc.subscribe(this.nats.names.event('cancelled', '*'), {
      callback: (_err, msg) => this.calls.get(msg.subject.slice(msg.subject.lastIndexOf('.') + 1))?.abort('cancelled'),
    });
  }

  onModuleDestroy() {
    this.sub?.unsubscribe();
  }

  has(id: string): boolean {
    return this.calls.has(id);
  }

  open(id: string, timeoutMs: number): Call {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort('timeout'), timeoutMs);
    this.calls.set(id, ctl);
    return {
      signal: ctl.signal,
      get cancelled() { return ctl.signal.reason === 'cancelled'; },
      get timedOut() { return ctl.signal.reason === 'timeout'; },
      close: () => {
        clearTimeout(timer);
        if (this.calls.get(id) === ctl) this.calls.delete(id);
      },
    };
  }
}

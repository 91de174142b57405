import type { NatsConnection } from '@nats-io/nats-core';
import type { Names } from '@reqrun/contracts';
import { managerOf } from '@reqrun/messaging';
import { Counter } from 'prom-client';

const waits = new Counter({ name: 'reqrun_scheduler_lane_waits_total', help: "Attempts that waited for room in a provider's background lane", labelNames: ['provider'] });
const waited = new Counter({ name: 'reqrun_scheduler_lane_wait_seconds_total', help: "Time attempts spent waiting for room in a provider's background lane", labelNames: ['provider'] });

/**
 * Back-pressure on the background dispatch lanes: a standard or batch attempt goes to a provider's `bg` lane only
 * while that lane holds fewer than `max` attempts (waiting or running, as NATS counts them for the adapters'
 * consumer, so every scheduler replica sees the same depth). Until then it stays in the submit stream, where its
 * window can still promote or expire it, and the handler waiting here holds one of its window's consumer slots, so
 * the scheduler stops pulling that window: memory stays bounded however deep the queue is. Each replica may add up
 * to its consumer's concurrency past `max` at once; the cap is a depth, not an exact count.
 */
export class LaneGate {
  private readonly depth = new Map<string, { at: number; value: Promise<number> }>();

  constructor(private readonly nc: NatsConnection, private readonly names: Names, private readonly max: number, private readonly freshMs = 100) {}

  /** Resolves true when `provider`'s bg lane has room, false when `untilMs` comes first (then the attempt is promoted) or `signal` aborts. */
  async room(provider: string, untilMs: number, signal?: AbortSignal): Promise<boolean> {
    let since: number | undefined;
    try {
      for (;;) {
        if ((await this.read(provider)) < this.max) return true;
        if (Date.now() >= untilMs || signal?.aborted) return false;
        since ??= Date.now();
        await new Promise((r) => setTimeout(r, Math.min(this.freshMs, Math.max(1, untilMs - Date.now()))));
      }
    } finally {
      if (since !== undefined) {
        waits.inc({ provider });
        waited.inc({ provider }, (Date.now() - since) / 1000);
      }
    }
  }

  private read(provider: string): Promise<number> {
    const now = Date.now();
    const seen = this.depth.get(provider);
    if (seen && now - seen.at < this.freshMs) return seen.value;
    const value = (async () => {
      try {
        const c = await (await managerOf(this.nc)).consumers.info(this.names.dispatchStream, this.names.adapterConsumer(provider, 'bg'));
        return c.num_pending + c.num_ack_pending;
      } catch {
        return 0; // no adapters consumer yet: nothing queued behind it either
      }
    })();
    this.depth.set(provider, { at: now, value });
    return value;
  }
}

import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { JetStreamManager } from '@nats-io/jetstream';
import { managerOf } from '@reqrun/messaging';
import type { Config } from '@reqrun/config';
import { Gauge } from 'prom-client';
import type { Logger } from 'pino';
import { Nats } from './nats.handles.js';
import { CONFIG, LOGGER } from './tokens.js';

const WINDOWS = ['asap', 'standard', 'batch'] as const;

/**
 * Queue depths read from JetStream when Prometheus scrapes (nothing is kept in between): submissions waiting per
 * completion window (messages on `rr.submit.<window>.<tenant>` not yet acked: new, held for backoff, or being routed), and per
 * provider the attempts not yet taken by an adapter and those being run. Registered by one app (ingress), so the
 * numbers are not repeated by every app.
 */
@Injectable()
export class QueueMetrics implements OnApplicationBootstrap {
  constructor(@Inject(CONFIG) private readonly config: Config, @Inject(LOGGER) private readonly log: Logger, private readonly nats: Nats) {}

  onApplicationBootstrap() {
    const self = this;
    new Gauge({
      name: 'reqrun_submit_queue_depth',
      help: 'Requests waiting for the scheduler, by completion window (including retries held for backoff)',
      labelNames: ['window'],
      aggregator: 'max', // every worker of a process reads the same stream: not a sum
      async collect() {
        const counts = await self.read(async (jsm) => (await jsm.streams.info(self.nats.names.submitStream, { subjects_filter: self.nats.names.submitAll() })).state.subjects ?? {});
        this.reset();
        if (!counts) return;
        // subjects are <prefix>.submit.<window>.<tenant>: sum each window over its tenants
        const byWindow = new Map<string, number>();
        for (const [subject, n] of Object.entries(counts)) byWindow.set(subject.split('.')[2], (byWindow.get(subject.split('.')[2]) ?? 0) + n);
        for (const w of WINDOWS) this.set({ window: w }, byWindow.get(w) ?? 0);
      },
    });
    const dispatch = (name: string, help: string, pick: (c: { num_pending: number; num_ack_pending: number }) => number) =>
      new Gauge({
        name, help, labelNames: ['provider'], aggregator: 'max',
        async collect() {
          this.reset();
          for (const p of self.config.providers) {
            // both lanes: fast (asap, promoted, retries) and bg (standard, batch)
            const lanes = await Promise.all((['fast', 'bg'] as const).map((lane) => self.read((jsm) => jsm.consumers.info(self.nats.names.dispatchStream, self.nats.names.adapterConsumer(p.name, lane)))));
            if (lanes.every((l) => l)) this.set({ provider: p.name }, lanes.reduce((n, l) => n + pick(l!), 0));
          }
        },
      });
    dispatch('reqrun_dispatch_queue_depth', 'Attempts routed to a provider that no adapter has taken yet', (c) => c.num_pending);
    dispatch('reqrun_dispatch_in_progress', 'Attempts an adapter has taken and not finished (delivered, not acked)', (c) => c.num_ack_pending);
  }

  /** A failed read leaves the gauge out of this scrape (absent, not a false zero). */
  private async read<T>(f: (jsm: JetStreamManager) => Promise<T>): Promise<T | undefined> {
    if (!this.nats.connected) return undefined;
    try {
      return await f(await managerOf(this.nats.nc));
    } catch (err) {
      this.log.debug({ err }, 'could not read a queue depth from JetStream');
      return undefined;
    }
  }
}

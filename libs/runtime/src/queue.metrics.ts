import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { Config } from '@reqrun/config';
import { Gauge } from 'prom-client';
import type { Logger } from 'pino';
import { Nats } from './nats.handles.js';
import { CONFIG, LOGGER } from './tokens.js';

const WINDOWS = ['asap', 'standard', 'batch'] as const;

/**
 * Queue depths read from JetStream when Prometheus scrapes (nothing is kept in between): submissions waiting per
 * completion window (messages on `rr.submit.<window>` not yet acked: new, held for backoff, or being routed), and per
 * provider the attempts not yet taken by an adapter and those being run. Registered by one app (ingress), so the
 * numbers are not repeated by every app.
 */
@Injectable()
export class QueueMetrics implements OnApplicationBootstrap {
  private jsm?: Promise<JetStreamManager>;

  constructor(@Inject(CONFIG) private readonly config: Config, @Inject(LOGGER) private readonly log: Logger, private readonly nats: Nats) {}

  onApplicationBootstrap() {
    const self = this;
    new Gauge({
      name: 'reqrun_submit_queue_depth',
      help: 'Requests waiting for the scheduler, by completion window (including retries held for backoff)',
      labelNames: ['window'],
      async collect() {
        const counts = await self.read(async (jsm) => (await jsm.streams.info(self.nats.names.submitStream, { subjects_filter: self.nats.names.submitAll() })).state.subjects ?? {});
        this.reset();
        if (!counts) return;
        for (const w of WINDOWS) this.set({ window: w }, counts[self.nats.names.submit(w)] ?? 0);
      },
    });
    const dispatch = (name: string, help: string, pick: (c: { num_pending: number; num_ack_pending: number }) => number) =>
      new Gauge({
        name, help, labelNames: ['provider'],
        async collect() {
          this.reset();
          for (const p of self.config.providers) {
            const info = await self.read((jsm) => jsm.consumers.info(self.nats.names.dispatchStream, self.nats.names.adapterConsumer(p.name)));
            if (info) this.set({ provider: p.name }, pick(info));
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
      this.jsm ??= jetstreamManager(this.nats.nc).catch((e) => {
        this.jsm = undefined;
        throw e;
      });
      return await f(await this.jsm);
    } catch (err) {
      this.log.debug({ err }, 'could not read a queue depth from JetStream');
      return undefined;
    }
  }
}

import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Config } from '@reqrun/config';
import { ErrorCode, isOpen, isTerminal, msgId, type AttemptRecord, type DispatchItem, type SubmitItem } from '@reqrun/contracts';
import { ack, retryIn, runConsumer, type Outcome, type RunningConsumer } from '@reqrun/messaging';
import { CONFIG, Lifecycle, LOGGER, logConsumerError, Nats, type Logger } from '@reqrun/runtime';
import { BreakerStore, RequestStore } from '@reqrun/store';
import { Gauge } from 'prom-client';
import { route } from './router.js';

/**
 * First come, first served: every submission whose backoff has passed goes to a target's dispatch queue, chosen by
 * `route`: around the targets this request already failed on and the providers whose breaker is open.
 */
@Injectable()
export class SubmitWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private consumer?: RunningConsumer;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly nats: Nats,
    private readonly store: RequestStore,
    private readonly lifecycle: Lifecycle,
    private readonly breakers: BreakerStore,
  ) {}

  async onApplicationBootstrap() {
    await this.breakers.start();
    const { config, breakers } = this;
    new Gauge({
      name: 'reqrun_provider_paused',
      help: "1 while the provider's circuit breaker is open and the scheduler routes around it",
      labelNames: ['provider'],
      collect() {
        for (const p of config.providers) this.set({ provider: p.name }, isOpen(breakers.state(p.name), Date.now()) ? 1 : 0);
      },
    });
    const n = this.nats.names;
    this.consumer = await runConsumer<SubmitItem>(this.nats.nc, {
      stream: n.submitStream,
      durable: n.schedulerConsumer,
      filter: n.submitAll(),
      ackWaitMs: this.config.nats.ack_wait_ms,
      concurrency: 256,
      handler: (item) => this.handle(item),
      onError: (err, where, raw) => logConsumerError(this.log, err, where, raw),
    });
  }

  async beforeApplicationShutdown() {
    await this.consumer?.stop();
    await this.breakers.stop();
  }

  async handle(item: SubmitItem): Promise<Outcome> {
    const now = Date.now();
    const wait = (item.not_before ?? 0) - now;
    if (wait > 0) return retryIn(wait);
    const model = this.config.models[item.model];
    if (!model) {
      const t = await this.store.transition(item.tenant, item.id, {
        type: 'reject',
        error: { code: ErrorCode.ModelNotFound, message: `Model '${item.model}' is no longer configured.`, status: 400, retryable: false },
      });
      if (t?.changed) this.lifecycle.changed(t.record);
      return ack;
    }
    let history: AttemptRecord[] = [];
    if (item.attempt > 1) {
      // A retry: the record says which targets this request failed on.
      const r = await this.store.get(item.tenant, item.id);
      if (!r || isTerminal(r.status)) return ack;
      history = r.history;
    }
    const to = route(model, { now, random: Math.random, breaker: (p) => this.breakers.state(p), history, maxWaitMs: this.config.retry.max_delay_ms });
    if ('holdMs' in to) {
      this.log.debug({ request_id: item.id, attempt: item.attempt, hold_ms: to.holdMs }, 'holding: every target is paused, or the one chosen asked to wait');
      return retryIn(to.holdMs);
    }
    const { target } = to;
    const dispatch: DispatchItem = { id: item.id, tenant: item.tenant, attempt: item.attempt, provider: target.provider, provider_model: target.model ?? item.model };
    await this.nats.bus.persist(this.nats.names.dispatch(target.provider), dispatch, msgId(item));
    this.log.debug({ request_id: item.id, attempt: item.attempt, provider: target.provider, provider_model: dispatch.provider_model }, 'dispatched');
    return ack;
  }
}

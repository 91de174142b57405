import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Config } from '@reqrun/config';
import { ErrorCode, msgId, type DispatchItem, type SubmitItem } from '@reqrun/contracts';
import { ack, retryIn, runConsumer, type Outcome, type RunningConsumer } from '@reqrun/messaging';
import { CONFIG, Lifecycle, LOGGER, logConsumerError, Nats, type Logger } from '@reqrun/runtime';
import { RequestStore } from '@reqrun/store';
import { pickTarget } from './router.js';

/** First come, first served: every submission whose backoff has passed goes to a target's dispatch queue. */
@Injectable()
export class SubmitWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private consumer?: RunningConsumer;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly nats: Nats,
    private readonly store: RequestStore,
    private readonly lifecycle: Lifecycle,
  ) {}

  async onApplicationBootstrap() {
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
  }

  async handle(item: SubmitItem): Promise<Outcome> {
    const wait = (item.not_before ?? 0) - Date.now();
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
    const target = pickTarget(model, Math.random);
    const dispatch: DispatchItem = { id: item.id, tenant: item.tenant, attempt: item.attempt, provider: target.provider, provider_model: target.model ?? item.model };
    await this.nats.bus.persist(this.nats.names.dispatch(target.provider), dispatch, msgId(item));
    this.log.debug({ request_id: item.id, attempt: item.attempt, provider: target.provider }, 'dispatched');
    return ack;
  }
}

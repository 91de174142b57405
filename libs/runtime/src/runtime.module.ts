import { Global, Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { Config } from '@reqrun/config';
import { systemClock } from '@reqrun/contracts';
import { BreakerStore, FileStore, IdempotencyStore, RequestStore, WebhookEndpointStore } from '@reqrun/store';
import type { Logger } from 'pino';
import { HealthController } from './health.controller.js';
import { Lifecycle } from './lifecycle.js';
import { NoRecord } from './abandoned.js';
import { Nats } from './nats.handles.js';
import { APP_NAME, CONFIG, LOGGER } from './tokens.js';

class NatsCloser implements OnApplicationShutdown {
  constructor(@Inject(Nats) private readonly nats: Nats) {}
  async onApplicationShutdown() {
    await this.nats.close();
  }
}

/** What every app shares: config, logger, the NATS connection and layout, the stores, health and metrics. */
@Global()
@Module({})
export class RuntimeModule {
  static forApp(app: string, config: Config, log: Logger): DynamicModule {
    return {
      module: RuntimeModule,
      controllers: [HealthController],
      providers: [
        { provide: APP_NAME, useValue: app },
        { provide: CONFIG, useValue: config },
        { provide: LOGGER, useValue: log },
        { provide: Nats, useFactory: () => Nats.open(config, app, log) },
        { provide: RequestStore, useFactory: (n: Nats) => new RequestStore(n.buckets.requests, systemClock), inject: [Nats] },
        { provide: IdempotencyStore, useFactory: (n: Nats) => new IdempotencyStore(n.buckets.idempotency), inject: [Nats] },
        { provide: BreakerStore, useFactory: (n: Nats) => new BreakerStore(n.buckets.breakers, systemClock, config.breaker), inject: [Nats] },
        { provide: WebhookEndpointStore, useFactory: (n: Nats) => new WebhookEndpointStore(n.buckets.webhooks), inject: [Nats] },
        { provide: FileStore, useFactory: (n: Nats) => new FileStore(n.buckets.files), inject: [Nats] },
        NatsCloser,
        Lifecycle,
        NoRecord,
      ],
      exports: [APP_NAME, CONFIG, LOGGER, Nats, RequestStore, IdempotencyStore, BreakerStore, WebhookEndpointStore, FileStore, Lifecycle, NoRecord],
    };
  }
}

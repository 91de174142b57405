import { jetstreamManager, RetentionPolicy, StorageType, type StreamConfig, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Names } from '@reqrun/contracts';

export interface LayoutOptions {
  replicas: number;
  idempotencyTtlMs: number;
  eventsMaxAgeMs: number;
}

export interface Buckets {
  requests: KV;
  idempotency: KV;
  breakers: KV;
  limits: KV;
  webhooks: KV;
}

const ms = (v: number) => v * 1_000_000; // JetStream durations are nanoseconds

/** Creates (or updates to the wanted config) every stream and bucket ReqRun uses. Safe to run from every app at start-up. */
export async function ensureLayout(nc: NatsConnection, n: Names, o: LayoutOptions): Promise<Buckets> {
  const jsm = await jetstreamManager(nc);
  const storage = StorageType.File;
  await ensureStream(jsm, {
    name: n.submitStream, subjects: [n.submitAll()], retention: RetentionPolicy.Workqueue, storage,
    num_replicas: o.replicas, duplicate_window: ms(120_000),
  });
  await ensureStream(jsm, {
    name: n.dispatchStream, subjects: [n.dispatchAll()], retention: RetentionPolicy.Workqueue, storage,
    num_replicas: o.replicas, duplicate_window: ms(120_000),
  });
  await ensureStream(jsm, {
    name: n.eventsStream, subjects: n.eventsStored(), retention: RetentionPolicy.Limits, storage,
    num_replicas: o.replicas, max_age: ms(o.eventsMaxAgeMs),
  });
  const kvm = new Kvm(nc);
  const requests = await kvm.create(n.requestsBucket, { history: 1, replicas: o.replicas, storage });
  const idempotency = await kvm.create(n.idempotencyBucket, { history: 1, replicas: o.replicas, storage, ttl: o.idempotencyTtlMs });
  const breakers = await kvm.create(n.breakersBucket, { history: 1, replicas: o.replicas, storage });
  const limits = await kvm.create(n.limitsBucket, { history: 1, replicas: o.replicas, storage });
  const webhooks = await kvm.create(n.webhooksBucket, { history: 1, replicas: o.replicas, storage });
  return { requests, idempotency, breakers, limits, webhooks };
}

async function ensureStream(jsm: JetStreamManager, cfg: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    const info = await jsm.streams.info(cfg.name);
    const drift = (Object.keys(cfg) as (keyof StreamConfig)[]).some((k) => JSON.stringify(info.config[k]) !== JSON.stringify(cfg[k]));
    if (drift) await jsm.streams.update(cfg.name, { ...info.config, ...cfg });
  } catch (e) {
    if ((e as Error).name !== 'StreamNotFoundError' && !/stream not found/i.test((e as Error).message)) throw e;
    try {
      await jsm.streams.add(cfg);
    } catch (e2) {
      // Another app created it at the same moment.
      if (!/already in use/i.test((e2 as Error).message)) throw e2;
    }
  }
}

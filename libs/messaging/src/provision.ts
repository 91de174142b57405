import { jetstreamManager, RetentionPolicy, StorageType, type StreamConfig, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { Objm, type ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Names } from '@reqrun/contracts';

export interface LayoutOptions {
  replicas: number;
  idempotencyTtlMs: number;
  eventsMaxAgeMs: number;
  /** How long streamed chunks stay readable (a background stream can be re-read until then). */
  chunksMaxAgeMs: number;
  /**
   * Revisions the request bucket keeps per record (default 1). Set it to the most writes a record gets, so that
   * nats-server never trims a record's old revision while it is written. Trimming is what a deep queue makes slow on
   * 2.9: after the first trim the server's per-key index still points at the block the record was created in, and
   * the next trim walks (and loads the subject index of) every block from there to the end of the bucket, i.e. the
   * whole backlog written after it.
   */
  requestsHistory?: number;
  /**
   * How long a record is kept after its last write (0 or absent: for ever). Webhook deliveries (every attempt) and
   * endpoints disabled by a 410 are kept as long: they are part of the requests' story.
   */
  requestsTtlMs?: number;
}

/** The most revisions a KV bucket may keep (a JetStream limit). */
export const MAX_KV_HISTORY = 64;

export interface Buckets {
  requests: KV;
  idempotency: KV;
  breakers: KV;
  limits: KV;
  webhooks: KV;
  batches: KV;
  files: ObjectStore;
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
    // The duplicate window drops a batch's end published again (same Nats-Msg-Id) by a worker that found it final.
    name: n.eventsStream, subjects: n.eventsStored(), retention: RetentionPolicy.Limits, storage,
    num_replicas: o.replicas, max_age: ms(o.eventsMaxAgeMs), duplicate_window: ms(Math.min(120_000, o.eventsMaxAgeMs)),
  });
  await ensureStream(jsm, {
    name: n.chunksStream, subjects: [n.chunksAll()], retention: RetentionPolicy.Limits, storage,
    // JetStream refuses a duplicate window longer than the max age (short ages in tests).
    num_replicas: o.replicas, max_age: ms(o.chunksMaxAgeMs), duplicate_window: ms(Math.min(120_000, o.chunksMaxAgeMs)),
  });
  const ttl = o.requestsTtlMs ?? 0;
  await ensureStream(jsm, {
    // One message per request (its id is the subject's last token and the msgID), kept as long as a record can be.
    name: n.indexStream, subjects: [n.indexAll()], retention: RetentionPolicy.Limits, storage, num_replicas: o.replicas,
    max_age: ms(ttl), duplicate_window: ms(ttl > 0 ? Math.min(120_000, ttl) : 120_000),
  });
  const kvm = new Kvm(nc);
  const history = Math.min(MAX_KV_HISTORY, Math.max(1, o.requestsHistory ?? 1));
  const requests = await kvm.create(n.requestsBucket, { history, replicas: o.replicas, storage, ...(ttl > 0 ? { ttl } : {}) });
  await ensureBucketLimits(jsm, `KV_${n.requestsBucket}`, { max_msgs_per_subject: history, max_age: ms(ttl) });
  const idempotency = await kvm.create(n.idempotencyBucket, { history: 1, replicas: o.replicas, storage, ttl: o.idempotencyTtlMs });
  const breakers = await kvm.create(n.breakersBucket, { history: 1, replicas: o.replicas, storage });
  const limits = await kvm.create(n.limitsBucket, { history: 1, replicas: o.replicas, storage });
  const webhooks = await kvm.create(n.webhooksBucket, { history: 1, replicas: o.replicas, storage, ...(ttl > 0 ? { ttl } : {}) });
  await ensureBucketLimits(jsm, `KV_${n.webhooksBucket}`, { max_msgs_per_subject: 1, max_age: ms(ttl) });
  // Batches and their files live as long as the requests they hold.
  const batches = await kvm.create(n.batchesBucket, { history: 1, replicas: o.replicas, storage, ...(ttl > 0 ? { ttl } : {}) });
  await ensureBucketLimits(jsm, `KV_${n.batchesBucket}`, { max_msgs_per_subject: 1, max_age: ms(ttl) });
  const files = await new Objm(nc).create(n.filesBucket, { replicas: o.replicas, storage, ...(ttl > 0 ? { ttl: ms(ttl) } : {}) });
  await ensureStream(jsm, {
    name: n.batchStream, subjects: [n.batchAll()], retention: RetentionPolicy.Workqueue, storage,
    num_replicas: o.replicas, duplicate_window: ms(120_000),
  });
  return { requests, idempotency, breakers, limits, webhooks, batches, files };
}

/** `Kvm.create` leaves an existing bucket as it is: a bucket made with another history or age is updated here. */
async function ensureBucketLimits(jsm: JetStreamManager, stream: string, want: Pick<StreamConfig, 'max_msgs_per_subject' | 'max_age'>): Promise<void> {
  const info = await jsm.streams.info(stream);
  if (info.config.max_msgs_per_subject !== want.max_msgs_per_subject || info.config.max_age !== want.max_age) {
    // JetStream refuses a duplicate window longer than the max age (short ages in tests).
    const window = want.max_age > 0 ? Math.min(info.config.duplicate_window, want.max_age) : info.config.duplicate_window;
    await jsm.streams.update(stream, { ...info.config, ...want, duplicate_window: window });
  }
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

import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { names } from '@reqrun/contracts';
import { ensureLayout, type Buckets } from '@reqrun/messaging';
import { startNats, type NatsServer } from './nats-server.js';

/** A nats-server of its own with every stream and bucket of `prefix`'s layout: what a store's spec runs against. */
export async function startLayout(prefix: string): Promise<{ nats: NatsServer; nc: NatsConnection; buckets: Buckets }> {
  const nats = await startNats();
  const nc = await connect({ servers: nats.url });
  const buckets = await ensureLayout(nc, names(prefix), { replicas: 1, idempotencyTtlMs: 60_000, eventsMaxAgeMs: 60_000, chunksMaxAgeMs: 3_600_000 });
  return { nats, nc, buckets };
}

/** Closes what `startLayout` started (either may be missing when it failed half-way). */
export async function stopLayout(nc?: NatsConnection, nats?: NatsServer): Promise<void> {
  await nc?.close();
  await nats?.stop();
}

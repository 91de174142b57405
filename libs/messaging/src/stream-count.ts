import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';

const managers = new WeakMap<NatsConnection, Promise<JetStreamManager>>();

/**
 * Messages a stream holds on the subjects matching `filter`, from the server's per-subject index (no message is
 * read): in a work queue that is what waits to be processed, the same answer for every process that asks.
 */
export async function countMessages(nc: NatsConnection, stream: string, filter: string): Promise<number> {
  let jsm = managers.get(nc);
  if (!jsm) managers.set(nc, (jsm = jetstreamManager(nc)));
  const info = await (await jsm).streams.info(stream, { subjects_filter: filter });
  return Object.values(info.state.subjects ?? {}).reduce((n, c) => n + c, 0);
}

import { jetstreamManager, type JetStreamManager, type StoredMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';

/** Reads of a stream's state that any process may make, one JetStream manager per connection. */
const managers = new WeakMap<NatsConnection, Promise<JetStreamManager>>();

/**
 * The connection's JetStream manager, made without the API check: that check is a request, and a manager promise
 * kept after it failed (a NATS node lost, a meta-leader election) would fail every later read on the connection.
 */
export function managerOf(nc: NatsConnection): Promise<JetStreamManager> {
  let jsm = managers.get(nc);
  if (!jsm) managers.set(nc, (jsm = jetstreamManager(nc, { checkAPI: false })));
  return jsm;
}

/**
 * Messages a stream holds on the subjects matching `filter`, from the server's per-subject index (no message is
 * read): in a work queue that is what waits to be processed, the same answer for every process that asks.
 */
export async function countMessages(nc: NatsConnection, stream: string, filter: string): Promise<number> {
  const info = await (await managerOf(nc)).streams.info(stream, { subjects_filter: filter });
  return Object.values(info.state.subjects ?? {}).reduce((n, c) => n + c, 0);
}

/** The last message stored on `subject`, or null when there is none. */
export async function lastMessage(nc: NatsConnection, stream: string, subject: string): Promise<StoredMsg | null> {
  return (await (await managerOf(nc)).streams.getMessage(stream, { last_by_subj: subject })) ?? null;
}

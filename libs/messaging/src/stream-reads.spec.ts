import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { startNats, waitUntil, type NatsServer } from '@reqrun/testing';
import { lastMessage } from './stream-reads.js';

let nats: NatsServer;
let nc: NatsConnection;

beforeAll(async () => {
  nats = await startNats();
  nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  await (await jetstreamManager(nc)).streams.add({ name: 'READS', subjects: ['reads.>'] });
});
afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

it('a read that failed while NATS was away does not fail every later read on the connection', async () => {
  await nats.kill();
  // The connection's first read happens while its server is gone (a node lost, an election under way).
  await expect(lastMessage(nc, 'READS', 'reads.a')).rejects.toThrow();
  await nats.restart();
  await waitUntil(() => jetstream(nc).publish('reads.a', 'x', { timeout: 1000 }).then(() => true, () => false), { timeoutMs: 20_000 });
  expect((await lastMessage(nc, 'READS', 'reads.a'))?.string()).toBe('x');
  expect(await lastMessage(nc, 'READS', 'reads.none')).toBeNull();
}, 40_000);

import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { names } from '@reqrun/contracts';
import { startNats, type NatsServer } from '@reqrun/testing';
import { ensureLayout, MAX_KV_HISTORY } from './provision.js';

let nats: NatsServer;
let nc: NatsConnection;
const layout = { replicas: 1, idempotencyTtlMs: 60_000, eventsMaxAgeMs: 60_000, chunksMaxAgeMs: 3_600_000 };
const maxAgeOf = async (prefix: string, bucket = names(prefix).requestsBucket) => (await (await jetstreamManager(nc)).streams.info(`KV_${bucket}`)).config.max_age;
const historyOf = async (prefix: string) => (await (await jetstreamManager(nc)).streams.info(`KV_${names(prefix).requestsBucket}`)).config.max_msgs_per_subject;

beforeAll(async () => {
  nats = await startNats();
  nc = await connect({ servers: nats.url });
});
afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

describe('ensureLayout: the request bucket keeps every revision of a record', () => {
  it('creates the bucket with the history asked for', async () => {
    await ensureLayout(nc, names('h1'), { ...layout, requestsHistory: 11 });
    expect(await historyOf('h1')).toBe(11);
  });

  it('updates a bucket made with another history, and a record written that often keeps all its revisions', async () => {
    await ensureLayout(nc, names('h2'), layout);
    expect(await historyOf('h2')).toBe(1);
    const { requests } = await ensureLayout(nc, names('h2'), { ...layout, requestsHistory: 3 });
    expect(await historyOf('h2')).toBe(3);
    let rev = await requests.create('rr_1', 'queued');
    rev = await requests.update('rr_1', 'in_progress', rev);
    await requests.update('rr_1', 'completed', rev);
    const revisions: string[] = [];
    for await (const e of await (await new Kvm(nc).open(names('h2').requestsBucket)).history({ key: 'rr_1' })) revisions.push(e.string());
    expect(revisions).toEqual(['queued', 'in_progress', 'completed']);
  });

  it('keeps records for their ttl after their last write, and gives an existing bucket the ttl asked for', async () => {
    await ensureLayout(nc, names('h4'), layout);
    expect(await maxAgeOf('h4')).toBe(0);
    const { requests } = await ensureLayout(nc, names('h4'), { ...layout, requestsTtlMs: 1500 });
    expect(await maxAgeOf('h4')).toBe(1500 * 1_000_000);
    expect(await maxAgeOf('h4', names('h4').webhooksBucket)).toBe(1500 * 1_000_000); // deliveries and disabled endpoints too
    await requests.create('rr_old', 'completed');
    for (const until = Date.now() + 15_000; (await requests.get('rr_old')) !== null;) {
      if (Date.now() > until) throw new Error('the record outlived its ttl');
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  it('caps the history at what JetStream allows', async () => {
    await ensureLayout(nc, names('h3'), { ...layout, requestsHistory: 500 });
    expect(await historyOf('h3')).toBe(MAX_KV_HISTORY);
  });
});

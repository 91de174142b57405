import { buildConfig } from '@reqrun/config';
import { Status, type RequestRecord } from '@reqrun/contracts';
import { createLogger, Lifecycle, Nats } from '@reqrun/runtime';
import { RequestStore } from '@reqrun/store';
import { startNats, type NatsServer } from '@reqrun/testing';
import { Waiter } from './waiter.js';

let server: NatsServer;
let nats: Nats;
let store: RequestStore;
let sut: Waiter;
const forever = 10 * 60_000; // a lost wake-up would hang until Jest's timeout fails the test

const queued = (id: string): RequestRecord => ({
  id, tenant: 't', api: 'chat', model: 'm', window: 'asap', status: Status.Queued, body: {}, created_at: 0, updated_at: 0, attempts: 0, history: [],
});

/** Completes a request the way the adapters do: write the terminal state, then publish the wake-up. */
async function complete(id: string): Promise<void> {
  await store.transition('t', id, { type: 'start', attempt: 1, provider: 'p', provider_model: 'm' });
  const t = await store.transition('t', id, { type: 'succeed', attempt: 1, result: { ok: true }, usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2 } });
  new Lifecycle(nats).changed(t!.record);
}

beforeAll(async () => {
  server = await startNats();
  nats = await Nats.open(buildConfig({ nats: { url: server.url } }), 'test', createLogger('test', 'silent'));
  store = new RequestStore(nats.buckets.requests, { now: () => Date.now() });
  sut = new Waiter(nats, store);
});
afterAll(async () => {
  await nats?.close();
  await server?.stop();
});

describe('Waiter', () => {
  it('is woken at once by a completion that lands after it subscribed but before it read the record', async () => {
    const id = 'rr_01J00000000000000000000001';
    await store.create(queued(id));
    const watch = sut.watch('t', id);
    try {
      const stale = (await store.get('t', id))!; // the first read still says queued…
      await complete(id); // …then the request finishes before the waiter starts waiting
      const final = await watch.until(stale, forever);
      expect(final).toMatchObject({ status: 'completed', result: { ok: true } });
    } finally {
      watch.close();
    }
  }, 5000);

  it('answers at once from the record when the request finished before it subscribed', async () => {
    const id = 'rr_01J00000000000000000000002';
    await store.create(queued(id));
    await complete(id); // its wake-up is long gone
    const watch = sut.watch('t', id);
    try {
      const final = await watch.until((await store.get('t', id))!, forever);
      expect(final.status).toBe('completed');
    } finally {
      watch.close();
    }
  }, 5000);

  it('returns the latest stored state when the wait times out', async () => {
    const id = 'rr_01J00000000000000000000003';
    await store.create(queued(id));
    const watch = sut.watch('t', id);
    try {
      await store.transition('t', id, { type: 'start', attempt: 1, provider: 'p', provider_model: 'm' });
      expect((await watch.until(queued(id), 50)).status).toBe('in_progress');
    } finally {
      watch.close();
    }
  });

  it('stops waiting when the caller hangs up', async () => {
    const id = 'rr_01J00000000000000000000004';
    await store.create(queued(id));
    const watch = sut.watch('t', id);
    const hangUp = new AbortController();
    setTimeout(() => hangUp.abort(), 20);
    try {
      expect((await watch.until(queued(id), forever, hangUp.signal)).status).toBe('queued');
    } finally {
      watch.close();
    }
  }, 5000);
});

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

/** A request as an ingress stores it to wait for it: `waiter` names that ingress (by default the one under test). */
const queued = (id: string, waiter = sut.name): RequestRecord => ({
  id, tenant: 't', api: 'chat', model: 'm', window: 'asap', status: Status.Queued, body: {}, created_at: 0, updated_at: 0, attempts: 0, history: [], waiter,
});

/** Completes a request the way the adapters do: write the terminal state, then publish the wake-up (`tell`). */
async function complete(id: string, tell = (r: RequestRecord) => new Lifecycle(nats).changed({ record: r })): Promise<void> {
  await store.transition('t', id, { type: 'start', attempt: 1, provider: 'p', provider_model: 'm' });
  const t = await store.transition('t', id, { type: 'succeed', attempt: 1, result: { ok: true }, usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2 } });
  tell(t!.record);
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

  it('wakes a re-attach to a request another ingress stored and waits for (its wake-up goes to that ingress)', async () => {
    const id = 'rr_01J00000000000000000000005';
    await store.create(queued(id, 'another-ingress'));
    const watch = sut.watch('t', id, false);
    try {
      const stale = (await store.get('t', id))!;
      await complete(id);
      expect((await watch.until(stale, forever)).status).toBe('completed');
    } finally {
      watch.close();
    }
  }, 5000);

  it('is woken by a wake-up published the way it was before it named its waiter (rr.done.<id>, a rolling upgrade)', async () => {
    const id = 'rr_01J00000000000000000000006';
    await store.create(queued(id));
    const watch = sut.watch('t', id);
    try {
      const stale = (await store.get('t', id))!;
      await complete(id, (r) => nats.nc.publish(`${nats.names.legacyDoneAll().slice(0, -1)}${r.id}`, JSON.stringify(r)));
      expect((await watch.until(stale, forever)).status).toBe('completed');
    } finally {
      watch.close();
    }
  }, 5000);

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

  it('a wake-up lost while this process was away from NATS: the record is read again on reconnect (last: restarts nats-server)', async () => {
    const id = 'rr_01J00000000000000000000007';
    await store.create(queued(id));
    const watch = sut.watch('t', id);
    try {
      const waiting = watch.until((await store.get('t', id))!, forever);
      await complete(id, () => undefined); // stored, but its wake-up never reaches this process
      await server.restart(); // the connection drops and comes back
      expect((await waiting).status).toBe('completed');
    } finally {
      watch.close();
    }
  }, 30_000);
});

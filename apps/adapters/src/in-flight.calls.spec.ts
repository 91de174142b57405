import { buildConfig } from '@reqrun/config';
import { Status, type RequestRecord } from '@reqrun/contracts';
import { createLogger, Lifecycle, Nats } from '@reqrun/runtime';
import { RequestStore } from '@reqrun/store';
import { startNats, waitUntil, type NatsServer } from '@reqrun/testing';
import { InFlightCalls } from './in-flight.calls.js';

let server: NatsServer;
let nats: Nats;
let store: RequestStore;
let sut: InFlightCalls;

const running = (id: string): RequestRecord => ({
  id, tenant: 't', api: 'chat', model: 'm', window: 'asap', status: Status.Queued, body: {}, created_at: 0, updated_at: 0, attempts: 0, history: [],
});
async function start(id: string): Promise<void> {
  await store.create(running(id));
  await store.transition('t', id, { type: 'start', attempt: 1, provider: 'p', provider_model: 'm' });
}

beforeAll(async () => {
  server = await startNats();
  nats = await Nats.open(buildConfig({ nats: { url: server.url } }), 'test', createLogger('test', 'silent'));
  store = new RequestStore(nats.buckets.requests, { now: () => Date.now() });
  sut = new InFlightCalls(nats, store);
  sut.onApplicationBootstrap();
});
afterAll(async () => {
  sut?.onModuleDestroy();
  await nats?.close();
  await server?.stop();
});

describe('InFlightCalls', () => {
  it('aborts a call when its request is cancelled (the cancelled event)', async () => {
    const id = 'rr_01J00000000000000000000001';
    await start(id);
    const call = sut.open('t', id, 60_000);
    try {
      const t = await store.transition('t', id, { type: 'cancel' });
      new Lifecycle(nats).changed(t!);
      await waitUntil(async () => call.signal.aborted, { timeoutMs: 5000, what: 'the abort' });
      expect([call.cancelled, call.timedOut]).toEqual([true, false]);
    } finally {
      call.close();
    }
  });

  it('aborts at its timeout', async () => {
    const call = sut.open('t', 'rr_01J00000000000000000000002', 20);
    await waitUntil(async () => call.signal.aborted, { timeoutMs: 5000, what: 'the timeout' });
    expect([call.cancelled, call.timedOut]).toEqual([false, true]);
    call.close();
  });

  it('abandon stops a call whose attempt went stale: neither a cancel nor a timeout', () => {
    const call = sut.open('t', 'rr_01J00000000000000000000009', 60_000);
    call.abandon();
    expect([call.signal.aborted, call.cancelled, call.timedOut]).toEqual([true, false, false]);
    call.close();
  });

  it('a cancel told while this process was away from NATS: the records are read again on reconnect (last: restarts nats-server)', async () => {
    const id = 'rr_01J00000000000000000000003';
    await start(id);
    const other = 'rr_01J00000000000000000000004';
    await start(other);
    const call = sut.open('t', id, 60_000);
    const still = sut.open('t', other, 60_000);
    try {
      await store.transition('t', id, { type: 'cancel' }); // stored, but its event never reaches this process
      await server.restart();
      await waitUntil(async () => call.signal.aborted, { timeoutMs: 20_000, what: 'the abort after the reconnect' });
      expect(call.cancelled).toBe(true);
      expect(still.signal.aborted).toBe(false); // still running: left alone
    } finally {
      call.close();
      still.close();
    }
  }, 30_000);
});

import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { msgId, names, Status, systemIds, type BreakerState, type RequestRecord, type SubmitItem } from '@reqrun/contracts';
import { fingerprint, sha256 } from '@reqrun/store';
import { answer, startFakeUpstream, startMesh, type AppProcess, type FakeUpstream, type Mesh } from '@reqrun/testing';
import { get, pollRequest, post } from './support/records.js';
import { until } from './support/within.js';

/** Processes die; accepted requests still finish (or stay cancelled), and every attempt is on the record. */
let mesh: Mesh;
let upstream: FakeUpstream; // provider 'pe' (openai, with a circuit breaker), for the probe case
const app = (name: string): AppProcess => mesh.apps.find((a) => a.app === name)!;
const submit = async (body: Record<string, unknown>) =>
  (await post(`${mesh.url}/v1/chat/completions`, { model: 'mock-1', messages: [{ role: 'user', content: 'survive' }], wait: false, completion_window: 'asap', ...body })).json();

beforeAll(async () => {
  upstream = await startFakeUpstream({ kind: 'openai' });
  mesh = await startMesh({
    config: {
      nats: { ack_wait_ms: 2000 },
      retry: { max_attempts: 3, base_delay_ms: 20, max_delay_ms: 100 },
      providers: [{ name: 'mock', type: 'mock' }, { name: 'pe', type: 'openai', base_url: upstream.url }],
      models: { 'mock-1': { targets: [{ provider: 'mock' }] }, 'probe-lost': { targets: [{ provider: 'pe', model: 'pe-up' }] } },
    },
  });
});
afterAll(async () => {
  await mesh?.stop();
  await upstream?.close();
});

describe('recovery', () => {
  it('cancels a queued request that no adapter has started, and it never runs', async () => {
    await app('adapters').stop();
    const { id } = await submit({});
    expect((await (await get(`${mesh.url}/v1/requests/${id}`)).json()).status).toBe('queued');
    const cancelled = await (await post(`${mesh.url}/v1/requests/${id}/cancel`, {})).json();
    expect(cancelled).toMatchObject({ status: 'cancelled', attempts: 0 });
    await app('adapters').restart();
    // A request sent after the restart finishing means the adapters have seen the cancelled one's dispatch too.
    const later = await submit({});
    await pollRequest(mesh.url, later.id, (r) => r.status === 'completed');
    expect(await (await get(`${mesh.url}/v1/requests/${id}`)).json()).toMatchObject({ status: 'cancelled', attempts: 0, history: [] });
  });

  it('retries an attempt whose adapter was killed mid-call, and counts it', async () => {
    const { id } = await submit({ metadata: { mock_latency_ms: '3000' } });
    await pollRequest(mesh.url, id, (r) => r.status === 'in_progress');
    await app('adapters').kill('SIGKILL');
    await app('adapters').restart();
    const r = await pollRequest(mesh.url, id, (x) => x.status === 'completed', 30_000);
    expect(r.attempts).toBe(2);
    expect(r.history[0]).toMatchObject({ outcome: 'failed', error: { code: 'worker_lost' } });
    expect(r.history[1].outcome).toBe('completed');
  }, 40_000);

  it("gives back a half-open breaker's probe whose adapter was killed mid-call, so the retry probes without waiting out the lease", async () => {
    const nc = await connect({ servers: mesh.nats.url });
    const breakers = await new Kvm(nc).open(names('rr').breakersBucket);
    const writes: { at: number; state: BreakerState }[] = [];
    const watch = await breakers.watch({ key: 'pe' });
    void (async () => {
      for await (const e of watch) if (e.operation === 'PUT') writes.push({ at: e.created.getTime(), state: e.json<BreakerState>() });
    })();
    try {
      // Half-open now: the threshold of failures reached (5 by default), the cool-down (30 s by default) over.
      await breakers.put('pe', JSON.stringify({ failures: 5, open_until: Date.now() } satisfies BreakerState));
      await new Promise((r) => setTimeout(r, 300)); // the schedulers' copies come through their watch
      upstream.setDefault(answer({ delayMs: 60_000 }));
      const { id } = await submit({ model: 'probe-lost' });
      await pollRequest(mesh.url, id, (r) => r.status === 'in_progress', 15_000);
      const claim = (await until('the probe claim seen', () => writes.find((w) => w.state.probe_until))).state.probe_until!;
      upstream.setDefault(answer());
      await app('adapters').kill('SIGKILL');
      await app('adapters').restart();

      const r = await pollRequest(mesh.url, id, (x) => x.status === 'completed', 30_000);
      expect(r.history.map((a: { outcome: string }) => a.outcome)).toEqual(['failed', 'completed']);
      expect(r.history[0].error.code).toBe('worker_lost');
      // Given back (the breaker as it was, without the lease) once the dead call's message came back, long before the
      // lease (one 30 s cool-down) would have run out; the retry then probed and closed the breaker.
      const given = writes.find((w) => !w.state.probe_until && w.state.failures === 5 && w.at > claim - 30_000);
      expect(given?.at).toBeLessThan(claim);
      // the success is reported off the request's path: it may land just after the record says completed
      await until('the breaker closed', async () => (await breakers.get('pe'))?.json<BreakerState>().failures === 0);
    } finally {
      watch.stop();
      await nc.close();
    }
  }, 60_000);

  it('runs requests accepted while the scheduler was down once it is back; one with nothing to schedule runs meanwhile', async () => {
    await app('scheduler').kill('SIGKILL');
    const { id } = await submit({ completion_window: 'standard' });
    // asap, one target, no limits, breaker closed: the ingress queues it for the provider itself.
    const direct = await submit({});
    expect((await pollRequest(mesh.url, direct.id, (r) => r.status === 'completed')).attempts).toBe(1);
    expect((await (await get(`${mesh.url}/v1/requests/${id}`)).json()).status).toBe('queued');
    await app('scheduler').restart();
    expect((await pollRequest(mesh.url, id, (r) => r.status === 'completed')).attempts).toBe(1);
  });

  it('queues an asap request through the scheduler when the dispatch stream is unavailable, and runs it once it is back', async () => {
    const nc = await connect({ servers: mesh.nats.url });
    try {
      await (await jetstreamManager(nc)).streams.delete(names().dispatchStream);
      const res = await post(`${mesh.url}/v1/chat/completions`, { model: 'mock-1', messages: [{ role: 'user', content: 'detour' }], wait: false, completion_window: 'asap' });
      expect(res.status).toBe(202); // not a 503: the submit stream took it
      const { id } = await res.json();
      expect((await (await get(`${mesh.url}/v1/requests/${id}`)).json()).status).toBe('queued');
      // The scheduler and the adapters make the dispatch stream and their consumers again when they start.
      await app('scheduler').restart();
      await app('adapters').restart();
      expect((await pollRequest(mesh.url, id, (r) => r.status === 'completed', 30_000)).attempts).toBe(1);
    } finally {
      await nc.close();
    }
  });

  it('finishes an accepted request even when the ingress that took it dies', async () => {
    const { id } = await submit({ metadata: { mock_latency_ms: '500' } });
    await app('ingress').kill('SIGKILL');
    await app('ingress').restart();
    expect((await pollRequest(mesh.url, id, (r) => r.status === 'completed')).attempts).toBe(1);
  });

  it('a waiting caller on a restarted ingress still gets the answer by re-attaching with its idempotency key', async () => {
    const body = { model: 'mock-1', messages: [{ role: 'user', content: 'retry me' }], idempotency_key: `crash-${Date.now()}`, metadata: { mock_latency_ms: '800' } };
    const first = post(`${mesh.url}/v1/chat/completions`, body).catch((e) => e);
    await new Promise((r) => setTimeout(r, 200));
    await app('ingress').kill('SIGKILL');
    expect(String(await first)).toMatch(/fetch failed/); // the connection died with the process
    await app('ingress').restart();
    const retry = await post(`${mesh.url}/v1/chat/completions`, body);
    expect(retry.status).toBe(200);
    const c = await retry.json();
    expect((await (await get(`${mesh.url}/v1/requests/${c.id}`)).json()).attempts).toBe(1);
  });

  /**
   * What a crash of the ingress between its two steps leaves: the submission is published first, the record second,
   * so a submission without a record (never a record without a submission). Built here by hand, as that ingress would.
   */
  describe('a submission whose ingress died before it stored the record', () => {
    const n = names('rr');
    const body = (text: string) => ({ model: 'mock-1', messages: [{ role: 'user', content: text }] });
    const queued = (item: SubmitItem, b: Record<string, unknown>): RequestRecord => ({
      id: item.id, tenant: item.tenant, api: 'chat', model: item.model, window: item.window, status: Status.Queued, body: b,
      created_at: item.created_at!, updated_at: item.created_at!, attempts: 0, history: [],
    });
    /** Publishes a new request's submission as the ingress does (`Nats-Msg-Id` = id:1), and nothing else. */
    const halfSubmit = async (f: (io: { item: SubmitItem; kv: Awaited<ReturnType<Kvm['open']>>; nc: Awaited<ReturnType<typeof connect>> }) => Promise<void>) => {
      const nc = await connect({ servers: mesh.nats.url });
      try {
        const item: SubmitItem = { id: systemIds.requestId(), tenant: 'default', attempt: 1, model: 'mock-1', window: 'asap', api: 'chat', created_at: Date.now() };
        await jetstream(nc).publish(n.submit('asap', 'default'), JSON.stringify(item), { msgID: msgId(item) });
        await f({ item, kv: await new Kvm(nc).open(n.requestsBucket), nc });
      } finally {
        await nc.close();
      }
    };

    it('is abandoned after twice the ack wait: a failed record, nothing run, and a late ingress cannot store it queued', async () => {
      await halfSubmit(async ({ item, kv }) => {
        const r = await pollRequest(mesh.url, item.id, (x) => x.status === 'failed', 20_000);
        expect(r).toMatchObject({ status: 'failed', attempts: 0, history: [], error: { code: 'request_not_stored' } });
        expect(Date.now() - item.created_at!).toBeGreaterThanOrEqual(4000); // 2 × ack_wait_ms (2000) in this mesh
        await expect(kv.create(item.id, JSON.stringify(queued(item, body('late'))))).rejects.toThrow();
        expect((await (await get(`${mesh.url}/v1/requests/${item.id}`)).json()).status).toBe('failed');
      });
    }, 30_000);

    it('runs once its record arrives late (an ingress slow between the two steps)', async () => {
      await halfSubmit(async ({ item, kv }) => {
        await new Promise((r) => setTimeout(r, 1000)); // the scheduler and the adapters find no record meanwhile
        await kv.create(item.id, JSON.stringify(queued(item, body('slow ingress'))));
        const r = await pollRequest(mesh.url, item.id, (x) => x.status === 'completed');
        expect(r.attempts).toBe(1);
        expect(r.result.choices[0].message.content).toBe('Mock reply to: slow ingress');
      });
    });

    it('a retry with the same idempotency key stores the record itself and gets the answer', async () => {
      const key = `half-${Date.now()}`;
      const b = body('claimed, queued, not stored');
      await halfSubmit(async ({ item, nc }) => {
        // The dead ingress had claimed the key for its id too (the claim comes first).
        const idem = await new Kvm(nc).open(n.idempotencyBucket);
        await idem.create(`default.${sha256(key)}`, JSON.stringify({ id: item.id, fingerprint: fingerprint('chat', b) }));
        const retry = await post(`${mesh.url}/v1/chat/completions`, b, { 'idempotency-key': key });
        expect(retry.status).toBe(200);
        expect((await retry.json()).id).toBe(item.id);
        expect((await (await get(`${mesh.url}/v1/requests/${item.id}`)).json()).attempts).toBe(1);
      });
    });
  });
});

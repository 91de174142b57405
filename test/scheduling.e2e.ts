import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { msgId, names, Status, systemClock, systemIds, type DispatchItem, type RequestRecord, type SubmitItem } from '@reqrun/contracts';
import { LimitStore } from '@reqrun/store';
import { startApp, startMesh, type AppProcess, type Mesh } from '@reqrun/testing';
import { get, pollRequest, post, readRecord } from './support/records.js';
import { startUpstreamProcess, type UpstreamProcess } from './support/upstream-process.js';

/**
 * Scheduling through the running mesh with two scheduler replicas, the mock provider and a fake OpenAI upstream: rate limits shared by
 * both replicas (counted where the provider receives the calls), token reservation under
 * concurrency, concurrency leases that outlive a duplicate delivery, asap next to a standard backlog, promotion, expiry, cost, a full queue.
 * Windows and limits are short (config); no test sleeps for more than a few seconds.
 */
let mesh: Mesh;
let upstream: UpstreamProcess; // in its own process: its receipt times are the provider's, not this busy one's
let nc: NatsConnection;
const n = names('rr');
const chat = (content: string, extra: Record<string, unknown> = {}) => ({ model: 'mock-1', messages: [{ role: 'user', content }], ...extra });
const accept = async (body: Record<string, unknown>): Promise<string> => {
  const res = await post(`${mesh.url}/v1/chat/completions`, { wait: false, ...body });
  expect(res.status).toBe(202);
  return (await res.json()).id;
};
/** Records read straight from KV (ms timestamps). */
const records = (ids: string[]): Promise<RequestRecord[]> => Promise.all(ids.map((id) => readRecord(mesh.nats.url, id)));
const allDone = (ids: string[], timeoutMs: number) => Promise.all(ids.map((id) => pollRequest(mesh.url, id, (r) => ['completed', 'failed', 'expired', 'cancelled'].includes(r.status), timeoutMs)));
/** How many attempts started in each whole second (epoch-aligned), from the records. */
const perSecond = (rs: RequestRecord[], weight: (r: RequestRecord) => number = () => 1): Map<number, number> => {
  const m = new Map<number, number>();
  for (const r of rs) for (const h of r.history) m.set(Math.floor(h.started_at / 1000), (m.get(Math.floor(h.started_at / 1000)) ?? 0) + weight(r));
  return m;
};

beforeAll(async () => {
  upstream = await startUpstreamProcess();
  mesh = await startMesh({
    apps: { scheduler: 2 },
    config: {
      log: { level: 'warn' },
      windows: {
        // batch: a window with no share of limited targets (it waits for its promotion), short enough to watch
        batch: { target_s: 2, promote_s: 1, expire_s: 8, share: 0 },
      },
      providers: [
        { name: 'mock', type: 'mock', concurrency: 64 },
        { name: 'rl', type: 'openai', base_url: upstream.url, limits: { rpm: 20, period_s: 1 } },
        { name: 'tl', type: 'openai', base_url: upstream.url },
        { name: 'tk', type: 'mock', limits: { tpm: 1050, period_s: 1 } },
        // one handler slot a lane per adapters process: a message for 'one' goes to a process not running a call on it
        { name: 'one', type: 'mock', concurrency: 1, limits: { concurrency: 1 } },
      ],
      models: {
        'mock-1': { targets: [{ provider: 'mock' }], price: { input_per_mtok: 1, output_per_mtok: 2 } },
        'rl-1': { targets: [{ provider: 'rl', model: 'rl-up' }] },
        // two public models on one limited provider model, and an unlimited model of the same provider
        'tl-a': { targets: [{ provider: 'tl', model: 'shared-up', limits: { rpm: 10, period_s: 1 } }] },
        'tl-b': { targets: [{ provider: 'tl', model: 'shared-up', limits: { rpm: 10, period_s: 1 } }] },
        'tl-free': { targets: [{ provider: 'tl', model: 'free-up' }] },
        'tk-1': { targets: [{ provider: 'tk' }] },
        'one-1': { targets: [{ provider: 'one' }] },
      },
    },
  });
  nc = await connect({ servers: mesh.nats.url });
}, 60_000);
afterAll(async () => {
  await nc?.close();
  await mesh?.stop();
  await upstream?.close();
});

describe('rate limits shared by two scheduler replicas', () => {
  it('a target limited to 20 requests a second gets at most 20 calls in every second, and all of them', async () => {
    // A fresh adapters process's first HTTP calls reach the provider a few hundred ms after they start (the HTTP
    // client loads, connections open): noise in a real 60 s period, a third of this test's 1 s one. One call first,
    // then a wait until it has left the window.
    await allDone([await accept(chat('warm', { model: 'rl-1', completion_window: 'asap' }))], 10_000);
    await new Promise((r) => setTimeout(r, 2000));
    await upstream.reset();
    const ids = await Promise.all(Array.from({ length: 90 }, (_, i) => accept(chat(`rl ${i}`, { model: 'rl-1', completion_window: 'asap' }))));
    await allDone(ids, 30_000);
    const rs = await records(ids);
    expect(rs.every((r) => r.status === Status.Completed)).toBe(true);
    // counted where the provider receives them: each request once, at most 20 in any second
    const received = (await upstream.calls()).map((c) => c.at).sort((a, b) => a - b);
    expect(received.length).toBe(90);
    expect(Math.max(...received.map((t) => received.filter((x) => x >= t && x < t + 1000).length))).toBeLessThanOrEqual(20);
    // and the limit is a rate, not a stall: 90 calls need at least four whole seconds after the first
    expect(received.at(-1)! - received[0]).toBeGreaterThanOrEqual(3000);
  }, 60_000);

  it("a provider model's limit holds across the public models routed to it, and leaves the provider's other models alone", async () => {
    await allDone([await accept(chat('warm', { model: 'tl-a', completion_window: 'asap' }))], 10_000); // see above
    await new Promise((r) => setTimeout(r, 2000));
    await upstream.reset();
    const ids = await Promise.all([
      ...Array.from({ length: 60 }, (_, i) => accept(chat(`tl ${i}`, { model: i % 2 ? 'tl-a' : 'tl-b', completion_window: 'asap' }))),
      ...Array.from({ length: 20 }, (_, i) => accept(chat(`free ${i}`, { model: 'tl-free', completion_window: 'asap' }))),
    ]);
    await allDone(ids, 40_000);
    const calls = await upstream.calls();
    const at = (model: string) => calls.filter((c) => c.model === model).map((c) => c.at).sort((a, b) => a - b);
    const shared = at('shared-up');
    const free = at('free-up');
    expect([shared.length, free.length]).toEqual([60, 20]);
    expect(Math.max(...shared.map((t) => shared.filter((x) => x >= t && x < t + 1000).length))).toBeLessThanOrEqual(10);
    // the unlimited model of the same provider is not held back: all of it before half of the limited one
    expect(free.at(-1)!).toBeLessThan(shared[29]);
  }, 60_000);

  it('tokens are reserved before dispatch: 50 concurrent requests stay within tpm in every second', async () => {
    // ~100 prompt tokens + max_tokens 5 each: reserved ≈ used, so 1050 tpm lets about 10 a second through
    const prompt = 'x'.repeat(396);
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => post(`${mesh.url}/v1/chat/completions`, { model: 'tk-1', max_tokens: 5, wait: true, wait_timeout: 60, messages: [{ role: 'user', content: `${prompt}${i}` }] })),
    );
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    const ids = answers.map((a) => a.headers.get('x-request-id')!);
    const rs = await records(ids);
    const tokens = perSecond(rs, (r) => r.usage!.total_tokens);
    expect(Math.max(...tokens.values())).toBeLessThanOrEqual(1050);
    expect(rs[0].usage!.total_tokens).toBeGreaterThan(90);
    // 50 × ~105 tokens at 1050 a second: not in one burst
    expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
  }, 60_000);
});

describe('concurrency leases', () => {
  // A second adapters process, as a deployment has: a copy of a running attempt's dispatch message goes to the process
  // that is not running it (each has one slot for 'one'), which is where a copy can release the lease.
  let spare: AppProcess;
  let limits: LimitStore;
  beforeAll(async () => {
    spare = await startApp({ app: 'adapters', natsUrl: mesh.nats.url, configFile: mesh.configFile });
    limits = new LimitStore(await new Kvm(nc).open(n.limitsBucket), systemClock);
  }, 60_000);
  afterAll(() => spare?.stop());

  const limitState = () => limits.read('provider.one');
  const leases = async () => Object.keys((await limitState()).leases);
  const reserved = async () => (await limitState()).slots.reduce((sum, [, requests]) => sum + requests, 0);
  /** Until a consumer has taken every message and acked all but `unacked`. */
  const handled = async (stream: string, consumer: string, unacked: number) => {
    const jsm = await jetstreamManager(nc);
    const until = Date.now() + 10_000;
    for (;;) {
      const c = await jsm.consumers.info(stream, consumer);
      if (c.num_pending === 0 && c.num_ack_pending === unacked) return;
      if (Date.now() > until) throw new Error(`${consumer}: ${c.num_pending} pending, ${c.num_ack_pending} unacked`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  // Its own msgID: the stream drops a copy with the same one for 2 minutes (a copy the product sends comes later).
  const copyMsgId = (item: { id: string; attempt: number }) => ({ msgID: `${msgId(item)}:copy` });

  /**
   * A slow call on 'one' (concurrency 1) runs attempt `attempt`; meanwhile `sendCopy` sends a copy of its work and
   * waits until it is handled. The call keeps its lease, so a second request starts only once the call has ended; the
   * copy reserved nothing that stays; at the end no lease is left.
   */
  async function leaseSurvives(attempt: number, metadata: Record<string, string>, sendCopy: (running: DispatchItem) => Promise<void>) {
    const first = await accept(chat('a long call', { model: 'one-1', completion_window: 'asap', metadata: { mock_latency_ms: '3000', ...metadata } }));
    await pollRequest(mesh.url, first, (x) => x.status === 'in_progress' && x.attempts === attempt, 15_000);
    // the running attempt's message, still in the work-queue stream (unacked)
    const running = (await (await jetstreamManager(nc)).streams.getMessage(n.dispatchStream, { last_by_subj: n.dispatch('one') }))!.json<DispatchItem>();
    expect(running).toMatchObject({ id: first, attempt, held: [{ scope: 'provider.one', spec: { concurrency: 1 } }] });
    expect(await leases()).toEqual([`${first}:${attempt}`]);
    const before = await reserved();
    await sendCopy(running);
    expect(await leases()).toEqual([`${first}:${attempt}`]);
    expect(await reserved()).toBe(before);
    const second = await accept(chat('after the long call', { model: 'one-1', completion_window: 'asap' }));
    await allDone([first, second], 20_000);
    const [a, b] = await records([first, second]);
    expect([a.status, b.status]).toEqual([Status.Completed, Status.Completed]);
    expect(a.history.length).toBe(attempt);
    expect(b.history[0].started_at).toBeGreaterThanOrEqual(a.history.at(-1)!.ended_at!);
    expect(await leases()).toEqual([]);
  }
  const copyDispatch = (edit: (running: DispatchItem) => DispatchItem) => async (running: DispatchItem) => {
    const copy = edit(running);
    await jetstream(nc).publish(n.dispatch('one'), JSON.stringify(copy), copyMsgId(copy));
    await handled(n.dispatchStream, n.adapterConsumer('one', 'fast'), 1);
  };

  it('another message for the running attempt (the scheduler sent it again) does not release its lease', async () => {
    await leaseSurvives(1, {}, copyDispatch((running) => running));
  }, 40_000);

  it('a message for an earlier attempt, delivered while a later attempt runs, does not release its lease', async () => {
    await leaseSurvives(2, { mock_fail: 'retryable:1' }, copyDispatch((running) => ({ ...running, attempt: 1 })));
  }, 40_000);

  it('a submission handled twice (a redelivery taken for lost) gives back what its second handling reserved, and leaves the lease', async () => {
    await leaseSurvives(1, {}, async (running) => {
      const r = await readRecord(mesh.nats.url, running.id);
      const item: SubmitItem = { id: r.id, tenant: r.tenant, attempt: 1, model: r.model, window: r.window, api: r.api, created_at: r.created_at };
      await jetstream(nc).publish(n.submit(r.window, r.tenant), JSON.stringify(item), copyMsgId(item));
      await handled(n.submitStream, n.schedulerConsumer(r.window), 0);
    });
  }, 40_000);
});

describe('completion windows', () => {
  it('a held request is promoted before its deadline: started between its promotion point and its target', async () => {
    // batch here: target 2 s, promoted 1 s before it, share 0 of limited targets ('one' has a concurrency limit)
    const id = await accept(chat('promote me', { model: 'one-1', completion_window: 'batch' }));
    const r = await pollRequest(mesh.url, id, (x) => x.status === 'completed', 10_000);
    const rec = await readRecord(mesh.nats.url, id);
    const waited = rec.started_at - rec.created_at;
    expect(waited).toBeGreaterThanOrEqual(1000);
    expect(waited).toBeLessThan(2000);
    expect(r.completion_window).toBe('batch');
  });

  it('a request not started by its window’s hard expiry is expired, visibly, with an `expired` event', async () => {
    const events: string[] = [];
    const sub = nc.subscribe(n.event('expired', '*'));
    void (async () => {
      for await (const m of sub) events.push(m.subject);
    })();
    // the one call 'one' may make at a time is busy for 10 s, longer than batch's 8 s expiry
    const busy = await accept(chat('busy', { model: 'one-1', completion_window: 'asap', metadata: { mock_latency_ms: '10000' } }));
    await pollRequest(mesh.url, busy, (x) => x.status === 'in_progress');
    const id = await accept(chat('too late', { model: 'one-1', completion_window: 'batch' }));
    const r = await pollRequest(mesh.url, id, (x) => x.status !== 'queued', 15_000);
    expect(r).toMatchObject({ status: 'expired', attempts: 0, history: [], error: { code: 'request_expired' } });
    const rec = await readRecord(mesh.nats.url, id);
    expect(rec.ended_at - rec.created_at).toBeGreaterThanOrEqual(8000);
    await pollRequest(mesh.url, busy, (x) => x.status === 'completed', 15_000);
    sub.unsubscribe();
    expect(events).toContain(n.event('expired', id));
  }, 30_000);

  it('records the cost of a finished request: the model price times the window multiplier', async () => {
    const asap = await (await post(`${mesh.url}/v1/chat/completions`, chat('what does it cost'))).json();
    const std = await accept(chat('what does it cost', { completion_window: 'standard' }));
    const a = await (await get(`${mesh.url}/v1/requests/${asap.id}`)).json();
    const s = await pollRequest(mesh.url, std, (x) => x.status === 'completed');
    const price = (u: { input_tokens: number; output_tokens: number }) => (u.input_tokens * 1 + u.output_tokens * 2) / 1e6;
    expect(a.cost).toEqual({ amount: price(a.usage), window: 'asap', multiplier: 1 });
    expect(s.cost.window).toBe('standard');
    expect(s.cost.multiplier).toBe(0.5);
    expect(s.cost.amount).toBeCloseTo(price(s.usage) * 0.5, 12);
  });
});

describe('priority and fairness', () => {
  /** Writes records and submissions the way ingress does, for two tenants at once (faster than 5,000 HTTP requests). */
  async function enqueue(tenant: string, window: 'asap' | 'standard', count: number, metadata: Record<string, string> = {}): Promise<string[]> {
    const kv = await new Kvm(nc).open(n.requestsBucket);
    const js = (await import('@nats-io/jetstream')).jetstream(nc);
    const ids: string[] = [];
    const batch = 500;
    for (let i = 0; i < count; i += batch) {
      await Promise.all(
        Array.from({ length: Math.min(batch, count - i) }, async (_, j) => {
          const now = Date.now();
          const r: RequestRecord = {
            id: systemIds.requestId(), tenant, api: 'chat', model: 'mock-1', window, status: Status.Queued,
            body: chat(`${tenant} ${i + j}`, { metadata }), created_at: now, updated_at: now, attempts: 0, history: [],
          };
          await kv.create(r.id, JSON.stringify(r));
          const item: SubmitItem = { id: r.id, tenant, attempt: 1, model: r.model, window, api: r.api, created_at: now };
          await js.publish(n.submit(window, tenant), JSON.stringify(item), { msgID: msgId(item) });
          ids.push(r.id);
        }),
      );
    }
    return ids;
  }
  const waiting = async () => {
    const jsm = await jetstreamManager(nc);
    const submit = await jsm.streams.info(n.submitStream, { subjects_filter: n.submitWindow('standard') });
    const bg = await jsm.consumers.info(n.dispatchStream, n.adapterConsumer('mock', 'bg'));
    return Object.values(submit.state.subjects ?? {}).reduce((a, b) => a + b, 0) + bg.num_pending + bg.num_ack_pending;
  };

  it("one tenant's 5,000 standard requests do not hold back another tenant's asap traffic, nor asap over HTTP", async () => {
    // unloaded asap latency first, for the log
    const idle: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = Date.now();
      expect((await post(`${mesh.url}/v1/chat/completions`, chat(`idle ${i}`))).status).toBe(200);
      idle.push(Date.now() - t0);
    }
    const burst = await enqueue('team-a', 'standard', 5000, { mock_latency_ms: '50' });
    expect(await waiting()).toBeGreaterThan(1000);

    const busy: number[] = [];
    const other = await enqueue('team-b', 'asap', 20);
    for (let i = 0; i < 10; i++) {
      const t0 = Date.now();
      expect((await post(`${mesh.url}/v1/chat/completions`, chat(`during ${i}`))).status).toBe(200);
      busy.push(Date.now() - t0);
    }
    // team-b's records straight from KV (ingress answers only for its own tenant)
    const end1 = Date.now() + 30_000;
    let b = await records(other);
    while (!b.every((r) => r.status === Status.Completed) && Date.now() < end1) {
      await new Promise((r) => setTimeout(r, 100));
      b = await records(other);
    }
    expect(b.map((r) => r.status)).toEqual(other.map(() => Status.Completed));
    // every asap request finished while the standard backlog was still there
    const left = await waiting();
    expect(left).toBeGreaterThan(0);
    const p50 = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    console.log(`asap p50 idle ${p50(idle)} ms, with the backlog ${p50(busy)} ms; standard still waiting: ${left}`);

    // and the backlog itself drains (the standard window is not starved either)
    const end = Date.now() + 90_000;
    while ((await waiting()) > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 500));
    expect(await waiting()).toBe(0);
    const done = await records(burst.slice(-50));
    expect(done.every((r) => r.status === Status.Completed)).toBe(true);
  }, 180_000);
});

describe('restarts', () => {
  it('a deferred request survives both schedulers being killed: the deferral lives in the stream, not in a process', async () => {
    const id = await accept(chat('survive', { model: 'one-1', completion_window: 'batch' }));
    const schedulers = mesh.apps.filter((a) => a.app === 'scheduler');
    await new Promise((r) => setTimeout(r, 300)); // held (nak with a delay until its promotion at 1 s; expiry at 8 s)
    await Promise.all(schedulers.map((a) => a.kill('SIGKILL')));
    await Promise.all(schedulers.map((a) => a.restart()));
    await pollRequest(mesh.url, id, (x) => x.status === 'completed', 20_000);
    const rec = await readRecord(mesh.nats.url, id);
    expect(rec.started_at - rec.created_at).toBeGreaterThanOrEqual(1000);
    expect(rec.attempts).toBe(1);
  }, 40_000);
});

describe('a full queue', () => {
  const QUEUE_KEY = 'rr-e2e-queue-key-1';
  const ONE_KEY = 'rr-e2e-queue-key-2';
  const auth = { authorization: `Bearer ${QUEUE_KEY}` };
  let small: Mesh;
  beforeAll(async () => {
    small = await startMesh({
      env: { RR_E2E_QUEUE_KEY: QUEUE_KEY, RR_E2E_ONE_KEY: ONE_KEY },
      config: {
        log: { level: 'warn' },
        windows: { batch: { target_s: 600, share: 0 } },
        providers: [{ name: 'mock', type: 'mock', limits: { rpm: 1000, period_s: 1 } }],
        models: { 'mock-1': { targets: [{ provider: 'mock' }] } },
        tenants: [
          { name: 'team-q', keys: [{ env: 'RR_E2E_QUEUE_KEY' }], limits: { max_queued: 3, rpm: 120, period_s: 60 } },
          { name: 'team-one', keys: [{ env: 'RR_E2E_ONE_KEY' }], limits: { max_queued: 1, rpm: 120, period_s: 60 } },
        ],
      },
    });
  }, 60_000);
  afterAll(() => small?.stop());

  it('is a 429 with retry-after, in each API’s envelope', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await post(`${small.url}/v1/chat/completions`, chat(`held ${i}`, { wait: false, completion_window: 'batch' }), auth);
      expect(res.status).toBe(202);
    }
    const full = await post(`${small.url}/v1/chat/completions`, chat('one too many', { wait: false, completion_window: 'batch' }), auth);
    expect(full.status).toBe(429);
    expect(Number(full.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await full.json()).error).toMatchObject({ code: 'queue_full', type: 'rate_limit_error' });
    const anthropic = await post(`${small.url}/v1/messages`, { model: 'mock-1', max_tokens: 10, messages: [{ role: 'user', content: 'x' }], wait: false }, { 'x-api-key': QUEUE_KEY });
    expect(anthropic.status).toBe(429);
    expect((await anthropic.json()).error.type).toBe('rate_limit_error');
  });

  it('gives a retry with the same Idempotency-Key its request, full queue or not', async () => {
    const one = { authorization: `Bearer ${ONE_KEY}` };
    const body = chat('queued before it was full', { wait: false, completion_window: 'batch' });
    const key = { ...one, 'idempotency-key': `full-${Date.now()}` };
    const first = await post(`${small.url}/v1/chat/completions`, body, key);
    expect(first.status).toBe(202);
    const { id } = await first.json();
    const other = await post(`${small.url}/v1/chat/completions`, chat('a new one', { wait: false, completion_window: 'batch' }), one);
    expect(other.status).toBe(429); // max_queued 1: full now
    const retry = await post(`${small.url}/v1/chat/completions`, body, key);
    expect(retry.status).toBe(202);
    expect((await retry.json()).id).toBe(id);
  });
});

import { createHash } from 'node:crypto';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { names } from '@reqrun/contracts';
import { startMesh, type Mesh } from '@reqrun/testing';
import { post } from './support/records.js';

/**
 * The NATS-native API (`rr.api.v1.submit|get|cancel`) against the running mesh with two tenants and two ingress
 * replicas: the HTTP contract as `{status, headers, body}` replies, waiting, errors in each API's envelope, tenant
 * isolation, the queue group, and lifecycle events on `rr.event.<kind>.<id>`.
 */
const KEY_A = 'rr-e2e-nats-a-3f9c1e27b5d04a86';
const KEY_B = 'rr-e2e-nats-b-8d2a6f14c97e3b05';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const n = names('rr');
const user = (content: string) => [{ role: 'user', content }];

let mesh: Mesh;
let nc: NatsConnection;

interface Reply { status: number; headers: Record<string, string>; body: any }

/** One request/reply on the NATS-native API, with the key in the Authorization header. */
async function call(verb: 'submit' | 'get' | 'cancel' | 'count_tokens', payload: unknown, key: string | null = KEY_A, timeout = 20_000): Promise<Reply> {
  const h = natsHeaders();
  if (key !== null) h.set('Authorization', `Bearer ${key}`);
  const m = await nc.request(n.api(verb), typeof payload === 'string' ? payload : JSON.stringify(payload), { timeout, headers: h });
  return m.json<Reply>();
}

beforeAll(async () => {
  mesh = await startMesh({
    apps: { ingress: 2 },
    env: { REQRUN_LOG_LEVEL: 'debug' },
    config: {
      wait: { default_s: 10, max_s: 30, sync_s: 30 },
      retry: { max_attempts: 1, base_delay_ms: 20, max_delay_ms: 100 },
      providers: [{ name: 'mock', type: 'mock' }],
      models: { 'mock-1': { targets: [{ provider: 'mock' }] } },
      tenants: [{ name: 'team-a', keys: [{ sha256: sha256(KEY_A) }] }, { name: 'team-b', keys: [{ sha256: sha256(KEY_B) }] }],
    },
  });
  nc = await connect({ servers: mesh.nats.url });
});
afterAll(async () => {
  await nc?.close();
  await mesh?.stop();
});

describe('submit', () => {
  it('waits and answers the completed object, as HTTP does', async () => {
    const sut = await call('submit', { api: 'chat', body: { model: 'mock-1', messages: user('hello') }, wait: true });
    expect(sut.status).toBe(200);
    expect(sut.body).toMatchObject({ object: 'chat.completion', choices: [{ message: { content: 'Mock reply to: hello' } }] });
    expect(sut.headers['x-request-id']).toBe(sut.body.id);
    expect(sut.body.id).toMatch(/^rr_/);
  });

  it('answers each API in its own shape', async () => {
    const r = await call('submit', { api: 'responses', body: { model: 'mock-1', input: 'hi' } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ object: 'response', status: 'completed' });
    const m = await call('submit', { api: 'messages', body: { model: 'mock-1', max_tokens: 64, messages: user('hi') } });
    expect(m.status).toBe(200);
    expect(m.body).toMatchObject({ type: 'message', content: [{ type: 'text', text: 'Mock reply to: hi' }] });
  });

  it('answers the async shape (202) at the wait timeout, and the request finishes anyway', async () => {
    const sut = await call('submit', {
      api: 'chat', wait: true, wait_timeout: 0.2, body: { model: 'mock-1', messages: user('slow'), metadata: { mock_latency_ms: '1500' } },
    });
    expect(sut.status).toBe(202);
    expect(sut.body).toMatchObject({ object: 'chat.completion.async', status: expect.stringMatching(/queued|in_progress/), completion_window: 'asap' });
    expect(sut.headers.location).toBe(`/v1/requests/${sut.body.id}`);
    let got: Reply;
    do got = await call('get', { id: sut.body.id });
    while (['queued', 'in_progress'].includes(got.body.status) && (await new Promise((r) => setTimeout(r, 50)), true));
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id: sut.body.id, object: 'request', api: 'chat', status: 'completed', result: { object: 'chat.completion' } });
  });

  it('wait: false stores and answers at once, on the standard window', async () => {
    const sut = await call('submit', { api: 'chat', wait: false, body: { model: 'mock-1', messages: user('later') } });
    expect(sut.status).toBe(202);
    expect(sut.body.completion_window).toBe('standard');
  });

  it('idempotency_key: the same key and request are the same id; another request is a 422', async () => {
    const body = { model: 'mock-1', messages: user('once') };
    const first = await call('submit', { api: 'chat', body, idempotency_key: 'nats-k1' });
    const again = await call('submit', { api: 'chat', body, idempotency_key: 'nats-k1' });
    expect(again.body.id).toBe(first.body.id);
    const other = await call('submit', { api: 'chat', body: { ...body, messages: user('twice') }, idempotency_key: 'nats-k1' });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');
  });

  it('the same errors as HTTP, in the same envelopes', async () => {
    const bad = { model: 'mock-1', messages: 'not a list' };
    const overNats = await call('submit', { api: 'chat', body: bad });
    const overHttp = await post(`${mesh.url}/v1/chat/completions`, bad, { authorization: `Bearer ${KEY_A}` });
    expect(overNats.status).toBe(400);
    expect(overNats.body).toEqual(await overHttp.json());

    const unknownModel = await call('submit', { api: 'chat', body: { model: 'nope', messages: user('x') } });
    expect(unknownModel.status).toBe(404);
    expect(unknownModel.body.error).toMatchObject({ code: 'model_not_found', param: 'model' });

    const anthropic = await call('submit', { api: 'messages', body: { model: 'mock-1', messages: user('x') } });
    expect(anthropic.status).toBe(400);
    expect(anthropic.body).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });

    expect((await call('submit', { api: 'fax', body: {} })).body.error).toMatchObject({ param: 'api' });
    expect((await call('submit', '{not json')).body.error).toMatchObject({ code: 'invalid_json' });
    expect((await call('submit', '{"api":"chat","body":{"__proto__":{"x":1}}}')).status).toBe(400);
    expect((await call('submit', { api: 'chat', body: { model: 'mock-1', messages: user('x'), completion_window: 'someday' } })).body.error.code)
      .toBe('invalid_completion_window');
    expect((await call('submit', { api: 'chat', body: { model: 'mock-1', messages: user('x') }, completion_window: 'someday' })).body.error.code)
      .toBe('invalid_completion_window');
    const stream = await call('submit', { api: 'chat', body: { model: 'mock-1', messages: user('x'), stream: true } });
    expect(stream.status).toBe(400);
    expect(stream.body.error).toMatchObject({ param: 'stream', message: expect.stringMatching(/NATS-native API .* stream over HTTP/) });
  });

  it('a failed request answers the error of its last attempt', async () => {
    const sut = await call('submit', { api: 'chat', body: { model: 'mock-1', messages: user('x'), metadata: { mock_fail: 'terminal' } } });
    expect(sut.status).toBe(400);
    expect(sut.headers['x-request-id']).toMatch(/^rr_/);
    expect(sut.body.error.code).toBeDefined();
  });

  it("count_tokens: Anthropic's count as over HTTP, errors in Anthropic's envelope", async () => {
    const prompt = { model: 'mock-1', system: 'be brief', messages: user('how many tokens?') };
    const counted = await call('count_tokens', { body: prompt });
    expect(counted).toEqual({ status: 200, headers: {}, body: { input_tokens: expect.any(Number) } });
    const http = await post(`${mesh.url}/v1/messages/count_tokens`, prompt, { authorization: `Bearer ${KEY_A}` });
    expect(await http.json()).toEqual(counted.body);
    const bad = await call('count_tokens', { body: { model: 'mock-1' } });
    expect(bad).toMatchObject({ status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: "'messages' is required" } } });
    expect((await call('count_tokens', { body: prompt }, null)).status).toBe(401);
  });

  it('no key, or an unknown one, is a 401', async () => {
    const none = await call('submit', { api: 'chat', body: { model: 'mock-1', messages: user('x') } }, null);
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('missing_api_key');
    const wrong = await call('get', { id: 'rr_01KAAAAAAAAAAAAAAAAAAAAAAA' }, 'not-a-key');
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('invalid_api_key');
  });
});

describe('get and cancel', () => {
  it('cancel a queued request, idempotently; a finished one is 409', async () => {
    const queued = await call('submit', {
      api: 'chat', wait: false, completion_window: 'asap', body: { model: 'mock-1', messages: user('x'), metadata: { mock_latency_ms: '5000' } },
    });
    const sut = await call('cancel', { id: queued.body.id });
    expect(sut.status).toBe(200);
    expect(sut.body).toMatchObject({ id: queued.body.id, status: 'cancelled' });
    expect((await call('cancel', { id: queued.body.id })).body.status).toBe('cancelled');
    const done = await call('submit', { api: 'chat', body: { model: 'mock-1', messages: user('x') } });
    const late = await call('cancel', { id: done.body.id });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('not_cancellable');
  });

  it("another tenant's id is the same 404 as an unknown one", async () => {
    const mine = await call('submit', { api: 'chat', body: { model: 'mock-1', messages: user('x') } });
    expect((await call('get', { id: mine.body.id })).status).toBe(200);
    const foreign = await call('get', { id: mine.body.id }, KEY_B);
    const unknown = await call('get', { id: 'rr_01KAAAAAAAAAAAAAAAAAAAAAAA' }, KEY_B);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('not_found');
    expect(foreign.body.error.message).toBe(unknown.body.error.message.replace('rr_01KAAAAAAAAAAAAAAAAAAAAAAA', mine.body.id));
    expect((await call('cancel', { id: mine.body.id }, KEY_B)).status).toBe(404);
    expect((await call('get', { id: 'rr_>' })).status).toBe(404);
    expect((await call('get', {})).status).toBe(400);
  });
});

describe('lifecycle events', () => {
  it('are published on rr.event.<kind>.<id>: accepted, started, completed, in that order by their revision', async () => {
    const seen: { subject: string; data: any }[] = [];
    const sub = nc.subscribe('rr.event.>', { callback: (_e, m) => void seen.push({ subject: m.subject, data: m.json() }) });
    await nc.flush();
    const sut = await call('submit', { api: 'chat', body: { model: 'mock-1', messages: user('events') } });
    const mine = () => seen.filter((e) => e.data.id === sut.body.id);
    // The reply and the completed event leave the process in either order: wait for the event, not for a time.
    while (mine().length < 3) await new Promise((r) => setTimeout(r, 10));
    sub.unsubscribe();
    // They come from different apps (the ingress tells `accepted`, the adapters the rest), so they may arrive in any
    // order; the record's revision, carried by each, orders them.
    const events = mine().sort((a, b) => a.data.revision - b.data.revision);
    expect(events.map((e) => e.subject)).toEqual(['accepted', 'started', 'completed'].map((k) => `rr.event.${k}.${sut.body.id}`));
    expect(new Set(events.map((e) => e.data.revision)).size).toBe(3);
    expect(events[2].data).toMatchObject({ id: sut.body.id, tenant: 'team-a', status: 'completed', attempts: 1, revision: expect.any(Number) });
  });
});

describe('queue group', () => {
  it('every ingress replica serves the API, each request once; one left still serves', async () => {
    const ingresses = mesh.apps.filter((a) => a.app === 'ingress');
    expect(ingresses).toHaveLength(2);
    const ids = new Set<string>();
    for (let i = 0; i < 30; i++) ids.add((await call('submit', { api: 'chat', wait: false, body: { model: 'mock-1', messages: user(`q${i}`) } })).body.id);
    expect(ids.size).toBe(30);
    // Which replica accepted each id, from its own log ('accepted' at debug level); log lines arrive a moment after the reply.
    const servedBy = () => ingresses.map((a) => [...ids].filter((id) => a.logs().includes(id)));
    for (const end = Date.now() + 10_000; servedBy().flat().length < 30 && Date.now() < end;) await new Promise((r) => setTimeout(r, 50));
    const [first, second] = servedBy();
    expect(first.length).toBeGreaterThan(0);
    expect(second.length).toBeGreaterThan(0);
    expect(first.filter((id) => second.includes(id))).toEqual([]); // none served twice
    expect(first.length + second.length).toBe(30);
    await ingresses[0].stop();
    const after = await call('submit', { api: 'chat', body: { model: 'mock-1', messages: user('one left') } });
    expect(after.status).toBe(200);
  });
});

import { createHash } from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { failWith, metricValue, startFakeUpstream, startMesh, waitUntil, type FakeUpstream, type Mesh } from '@reqrun/testing';
import { countRecords, get, post, rawValues, type JsonResponse } from './support/records.js';

/**
 * Two tenants with their own API keys through the running mesh: authentication in each API's envelope, isolation
 * of every record, idempotency key and endpoint, per-tenant models and windows, hostile bodies and ids, trace
 * context from the client to the provider, and no secret anywhere a log, record, error or metric could show it.
 */
const KEY_A = 'rr-e2e-team-a-7c0f3e9d41b2a85d';
const KEY_B = 'rr-e2e-team-b-19e4d7a3c2f06b8e';
const PROVIDER_KEY = 'sk-provider-e2e-5b8c1d4e9f2a7036';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const user = (content: string) => [{ role: 'user' as const, content }];
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

let mesh: Mesh;
let upstream: FakeUpstream;
const logs: string[] = [];
const errorBodies: string[] = [];
let a: OpenAI;
let b: OpenAI;

/** POST with team B's key, remembering error bodies for the secrets scan. */
const as = async (key: string, path: string, body: unknown, headers: Record<string, string> = {}) => {
  const res = await post(`${mesh.url}${path}`, body, { ...bearer(key), ...headers });
  if (res.status >= 400) errorBodies.push(await res.clone().text());
  return res;
};
const read = async (key: string, path: string, method = 'GET'): Promise<JsonResponse> => {
  const res = await fetch(`${mesh.url}${path}`, { method, headers: bearer(key) });
  if (res.status >= 400) errorBodies.push(await res.clone().text());
  return res;
};

/** Polls GET /v1/requests/{id} with the owner's key until it has finished. */
const finished = async (key: string, id: string): Promise<any> => {
  for (const until = Date.now() + 15_000; ; ) {
    const r = await (await read(key, `/v1/requests/${id}`)).json();
    if (!['queued', 'in_progress'].includes(r.status)) return r;
    if (Date.now() > until) throw new Error(`request ${id} still ${r.status}`);
    await new Promise((done) => setTimeout(done, 50));
  }
};

beforeAll(async () => {
  upstream = await startFakeUpstream({ kind: 'openai', apiKey: PROVIDER_KEY });
  mesh = await startMesh({
    env: { RR_E2E_TEAM_B_KEY: KEY_B, RR_E2E_PROVIDER_KEY: PROVIDER_KEY, REQRUN_LOG_LEVEL: 'debug' },
    onLine: (_app, line) => logs.push(line),
    config: {
      retry: { max_attempts: 2, base_delay_ms: 20, max_delay_ms: 100 },
      wait: { default_s: 10, max_s: 30, sync_s: 30 },
      providers: [{ name: 'mock', type: 'mock' }, { name: 'up', type: 'openai', base_url: upstream.url, api_key_env: 'RR_E2E_PROVIDER_KEY' }],
      models: { 'mock-1': { targets: [{ provider: 'mock' }] }, 'mock-2': { targets: [{ provider: 'mock' }] }, 'up-1': { targets: [{ provider: 'up' }] } },
      tenants: [
        { name: 'team-a', keys: [{ sha256: sha256(KEY_A) }] },
        { name: 'team-b', keys: [{ env: 'RR_E2E_TEAM_B_KEY' }], models: ['mock-1', 'up-1'], windows: ['asap', 'standard'] },
      ],
    },
  });
  a = new OpenAI({ baseURL: `${mesh.url}/v1`, apiKey: KEY_A, maxRetries: 0 });
  b = new OpenAI({ baseURL: `${mesh.url}/v1`, apiKey: KEY_B, maxRetries: 0 });
});
afterAll(async () => {
  await mesh?.stop();
  await upstream?.close();
});

describe('API keys', () => {
  it('refuses a missing or unknown key with a 401 in the OpenAI envelope', async () => {
    const none = await post(`${mesh.url}/v1/chat/completions`, { model: 'mock-1', messages: user('hi') });
    expect(none.status).toBe(401);
    expect((await none.json()).error).toMatchObject({ type: 'authentication_error', code: 'missing_api_key' });
    const wrong = await as('not-a-key', '/v1/chat/completions', { model: 'mock-1', messages: user('hi') });
    expect(wrong.status).toBe(401);
    expect((await wrong.json()).error).toMatchObject({ type: 'authentication_error', code: 'invalid_api_key' });
    await expect(new OpenAI({ baseURL: `${mesh.url}/v1`, apiKey: 'nope', maxRetries: 0 }).models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    // Percent-encoded spellings reach the same routes: the matched route decides, so they need a key too.
    for (const path of ['/v1/requests/rr_01KAAAAAAAAAAAAAAAAAAAAAAA', '/v1/responses/rr_01KAAAAAAAAAAAAAAAAAAAAAAA', '/v1/models', '/%761/models', '/v1/%6dodels']) {
      expect((await get(`${mesh.url}${path}`)).status).toBe(401);
    }
  });

  it('answers Messages callers in the Anthropic envelope, and takes x-api-key as the Anthropic SDK sends it', async () => {
    const res = await post(`${mesh.url}/v1/messages`, { model: 'mock-1', max_tokens: 10, messages: user('hi') }, { 'x-api-key': 'wrong' });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ type: 'error', error: { type: 'authentication_error', message: 'Incorrect API key provided.' }, request_id: null });
    const claude = new Anthropic({ baseURL: mesh.url, apiKey: KEY_B, maxRetries: 0 });
    const m = await claude.messages.create({ model: 'mock-1', max_tokens: 64, messages: user('from b') });
    expect(m.content[0]).toEqual({ type: 'text', text: 'Mock reply to: from b' });
  });

  it('keeps health, readiness and metrics open, and readiness says the tenants are configured', async () => {
    const ready = await (await get(`${mesh.url}/readyz`)).json();
    expect(ready).toMatchObject({ status: 'ready', nats: 'connected', layout: 'present', config: 'valid', mode: 'tenants', warnings: [] });
    expect((await get(`${mesh.url}/healthz`)).status).toBe(200);
    expect((await get(`${mesh.url}/metrics`)).status).toBe(200);
  });
});

describe('isolation between tenants', () => {
  it("makes every request of team A a 404 for team B, on every endpoint, and leaves it untouched", async () => {
    const chat = await (await as(KEY_A, '/v1/chat/completions', { model: 'mock-1', messages: user('a chat'), wait: false, metadata: { mock_latency_ms: '400' } })).json();
    const msg = await (await as(KEY_A, '/v1/messages', { model: 'mock-1', max_tokens: 10, messages: user('a msg'), wait: false, metadata: { mock_latency_ms: '400' } }, { 'anthropic-version': '2023-06-01' })).json();
    const resp = await a.responses.create({ model: 'mock-1', input: 'a response' });
    const bg = await (await as(KEY_A, '/v1/responses', { model: 'mock-1', input: 'a background', background: true, metadata: { mock_latency_ms: '400' } })).json();

    for (const id of [chat.id, msg.id, resp.id, bg.id]) {
      for (const [method, path] of [['GET', `/v1/requests/${id}`], ['POST', `/v1/requests/${id}/cancel`]]) {
        const res = await read(KEY_B, path, method);
        expect([path, res.status]).toEqual([path, 404]);
        expect((await res.json()).error.code).toBe('not_found');
      }
    }
    for (const id of [resp.id, bg.id]) {
      for (const [method, path] of [
        ['GET', `/v1/responses/${id}`], ['GET', `/v1/responses/${id}?stream=true&starting_after=0`], ['POST', `/v1/responses/${id}/cancel`], ['DELETE', `/v1/responses/${id}`],
      ]) {
        expect([path, (await read(KEY_B, path, method)).status]).toEqual([path, 404]);
      }
    }
    await expect(b.responses.retrieve(resp.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const chained = await as(KEY_B, '/v1/responses', { model: 'mock-1', input: 'go on', previous_response_id: resp.id });
    expect(chained.status).toBe(404);
    expect((await chained.json()).error.param).toBe('previous_response_id');

    // B's attempts changed nothing: A's requests run to completion, A can still read, chain and delete them.
    for (const id of [chat.id, msg.id, bg.id]) expect((await finished(KEY_A, id)).status).toBe('completed');
    const next = await a.responses.create({ model: 'mock-1', input: 'go on', previous_response_id: resp.id });
    expect(next.status).toBe('completed');
    expect((await a.responses.delete(bg.id)) as unknown).toMatchObject({ id: bg.id, deleted: true });
  });

  it('scopes idempotency keys to the tenant: the same key in another tenant is another request', async () => {
    const body = { model: 'mock-1', messages: user('same key'), wait: false, idempotency_key: 'shared-key-1' };
    const ra = await (await as(KEY_A, '/v1/chat/completions', body)).json();
    const rb = await as(KEY_B, '/v1/chat/completions', body);
    expect(rb.status).toBe(202);
    const idB = (await rb.json()).id;
    expect(idB).not.toBe(ra.id);
    expect((await (await as(KEY_A, '/v1/chat/completions', body)).json()).id).toBe(ra.id);
    expect((await (await as(KEY_B, '/v1/chat/completions', { ...body, messages: user('other') })).status)).toBe(422);
  });
});

describe('per-tenant models and windows', () => {
  it('lists only the models the caller may use', async () => {
    expect((await a.models.list()).data.map((m) => m.id).sort()).toEqual(['mock-1', 'mock-2', 'up-1']);
    expect((await b.models.list()).data.map((m) => m.id).sort()).toEqual(['mock-1', 'up-1']);
    expect((await read(KEY_B, '/v1/models/mock-2')).status).toBe(404);
  });

  it('refuses a model or a window the tenant may not use with a 403 that says why', async () => {
    const model = await as(KEY_B, '/v1/chat/completions', { model: 'mock-2', messages: user('hi') });
    expect(model.status).toBe(403);
    expect((await model.json()).error).toMatchObject({ type: 'permission_error', code: 'model_not_allowed', param: 'model', message: expect.stringContaining("may not use the model 'mock-2'") });
    const window = await as(KEY_B, '/v1/chat/completions', { model: 'mock-1', messages: user('hi'), completion_window: 'batch', wait: false });
    expect(window.status).toBe(403);
    expect((await window.json()).error).toMatchObject({ code: 'completion_window_not_allowed', message: expect.stringContaining("'batch' completion window") });
    const anthropic = await as(KEY_B, '/v1/messages', { model: 'mock-2', max_tokens: 10, messages: user('hi') });
    expect(anthropic.status).toBe(403);
    expect((await anthropic.json()).error.type).toBe('permission_error');
    const counting = await as(KEY_B, '/v1/messages/count_tokens', { model: 'mock-2', messages: user('hi') });
    expect(counting.status).toBe(403);
    expect((await counting.json()).error.type).toBe('permission_error');
    expect((await as(KEY_A, '/v1/messages/count_tokens', { model: 'mock-2', messages: user('hi') })).status).toBe(200);
    expect((await as(KEY_A, '/v1/chat/completions', { model: 'mock-2', messages: user('hi'), completion_window: 'batch', wait: false })).status).toBe(202);
  });
});

describe('hostile input', () => {
  it.each([
    ['a __proto__ key', 'invalid_json', '{"model":"mock-1","messages":[{"role":"user","content":"x"}],"__proto__":{"polluted":"yes"}}'],
    ['a nested __proto__ key', 'invalid_json', '{"model":"mock-1","messages":[{"role":"user","content":"x"}],"metadata":{"__proto__":{"polluted":"yes"}}}'],
    ['constructor.prototype', 'invalid_json', '{"model":"mock-1","messages":[{"role":"user","content":"x"}],"constructor":{"prototype":{"polluted":"yes"}}}'],
    ['nesting 100 deep', 'json_too_deep', `{"model":"mock-1","messages":[{"role":"user","content":"x"}],"metadata":${'['.repeat(100)}${']'.repeat(100)}}`],
    ['nesting 200 000 deep', 'json_too_deep', `{"model":"mock-1","messages":[{"role":"user","content":"x"}],"x":${'['.repeat(200_000)}${']'.repeat(200_000)}}`],
  ])('refuses a body with %s: 400 %s, nothing stored, nothing sent on', async (_name, code, raw) => {
    const before = await countRecords(mesh.nats.url);
    const calls = upstream.calls.length;
    const res = await as(KEY_A, '/v1/chat/completions', raw.replace('mock-1', 'up-1'));
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatchObject({ type: 'invalid_request_error', code });
    expect(await countRecords(mesh.nats.url)).toBe(before);
    expect(upstream.calls.length).toBe(calls);
  });

  it('still serves normally after them: what is stored and forwarded carries no polluted property', async () => {
    const c = await a.chat.completions.create({ model: 'up-1', messages: user('after the attacks'), metadata: { note: 'plain' } });
    const forwarded = upstream.calls.at(-1)!.body;
    expect(forwarded.polluted).toBeUndefined();
    expect(({} as any).polluted).toBeUndefined();
    const stored = await (await read(KEY_A, `/v1/requests/${c.id}`)).json();
    expect(JSON.stringify(stored)).not.toContain('polluted');
  });

  it('refuses headers over 16 KiB with 431', async () => {
    const res = await fetch(`${mesh.url}/v1/models`, { headers: { ...bearer(KEY_A), 'x-filler': 'x'.repeat(20_000) } });
    expect(res.status).toBe(431);
  });

  it.each(['rr_*', 'rr_>', 'rr_01KAAAAAAAAAAAAAAAAAAAAA.>', '..', 'rr_01kaaaaaaaaaaaaaaaaaaaaaaa'])('treats the id %s as unknown everywhere (never a subject)', async (id) => {
    const e = encodeURIComponent(id);
    for (const [method, path] of [['GET', `/v1/requests/${e}`], ['POST', `/v1/requests/${e}/cancel`], ['GET', `/v1/responses/${e}`], ['POST', `/v1/responses/${e}/cancel`], ['DELETE', `/v1/responses/${e}`]]) {
      expect([path, (await read(KEY_A, path, method)).status]).toEqual([path, 404]);
    }
    expect((await as(KEY_A, '/v1/responses', { model: 'mock-1', input: 'x', previous_response_id: id })).status).toBe(404);
  });
});

describe('trace context and secrets', () => {
  const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

  // A standard request goes through the scheduler; an asap one with nothing to schedule goes from the ingress to the adapters.
  it.each([
    ['standard', 'traced', ['ingress', 'scheduler', 'adapters']],
    ['asap', 'traced-direct', ['ingress', 'adapters']],
  ] as const)("carries the client's traceparent from the ingress through every app a %s request passes to the provider, and logs it in each", async (window, text, apps) => {
    const res = await as(KEY_A, '/v1/chat/completions', { model: 'up-1', messages: user(text), completion_window: window }, { traceparent: `00-${TRACE}-00f067aa0ba902b7-01` });
    expect(res.status).toBe(200);
    const id = (await res.json()).id;
    const call = upstream.calls.find((c) => JSON.stringify(c.body).includes(`"${text}"`))!;
    expect(call.headers.traceparent).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-01$`));
    expect(call.headers.traceparent).not.toContain('00f067aa0ba902b7'); // a span of its own, in the same trace
    const tagged = () => logs.filter((l) => l.includes(TRACE)).map((l) => JSON.parse(l.slice(l.indexOf('{'))));
    const logged = (app: string) => tagged().some((l) => l.app === app && l.request_id === id);
    // The answer can come before the apps' log lines have been read from their stdout.
    await waitUntil(async () => apps.every(logged), { timeoutMs: 5000, what: 'the log lines' }).catch(() => {});
    for (const app of apps) expect([app, logged(app)]).toEqual([app, true]);
  });

  it('starts a trace when the client sends none', async () => {
    await a.chat.completions.create({ model: 'up-1', messages: user('untraced') });
    const call = upstream.calls.find((c) => JSON.stringify(c.body).includes('untraced'))!;
    expect(call.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it('never shows an API key or the provider key in logs, records, errors or metrics', async () => {
    upstream.plan('leak-me', failWith(400, { echoKey: true }));
    const leaked = await as(KEY_B, '/v1/chat/completions', { model: 'up-1', messages: user('leak-me') });
    expect(leaked.status).toBe(400);
    const metrics = await Promise.all(mesh.apps.map(async (x) => (await get(`${x.url}/metrics`)).text()));
    const records = await rawValues(mesh.nats.url);
    const idempotency = await rawValues(mesh.nats.url, 'rr-idempotency');
    expect(records.length).toBeGreaterThan(5);
    expect(errorBodies.length).toBeGreaterThan(5);
    for (const [what, texts] of [['logs', logs], ['records', records], ['idempotency', idempotency], ['errors', errorBodies], ['metrics', metrics]] as const) {
      for (const secret of [KEY_A, KEY_B, PROVIDER_KEY, sha256(KEY_A)]) {
        expect([what, secret, texts.filter((t) => t.includes(secret))]).toEqual([what, secret, []]);
      }
    }
  });
});

describe('metrics', () => {
  it('counts requests by api, window, tenant and status, and measures queue wait, duration, attempts and provider calls', async () => {
    const ingress = `${mesh.url}/metrics`;
    const adapters = `${mesh.apps.find((x) => x.app === 'adapters')!.url}/metrics`;
    const sum = async (name: string, labels: Record<string, string>) =>
      (await Promise.all(mesh.apps.map((x) => metricValue(`${x.url}/metrics`, name, labels)))).reduce((s, v) => s + v, 0);
    const accepted = await metricValue(ingress, 'reqrun_requests_total', { api: 'chat', tenant: 'team-b', status: 'queued', window: 'asap' });
    const completed = await sum('reqrun_requests_total', { api: 'chat', tenant: 'team-b', status: 'completed' });
    await b.chat.completions.create({ model: 'mock-1', messages: user('counted') });
    expect(await metricValue(ingress, 'reqrun_requests_total', { api: 'chat', tenant: 'team-b', status: 'queued', window: 'asap' })).toBe(accepted + 1);
    expect(await sum('reqrun_requests_total', { api: 'chat', tenant: 'team-b', status: 'completed' })).toBe(completed + 1);
    expect(await sum('reqrun_queue_wait_seconds_count', { api: 'chat', window: 'asap' })).toBeGreaterThan(0);
    expect(await sum('reqrun_request_duration_seconds_count', { api: 'chat', status: 'completed' })).toBeGreaterThan(0);
    expect(await sum('reqrun_request_attempts_count', { api: 'chat' })).toBeGreaterThan(0);
    expect(await metricValue(adapters, 'reqrun_upstream_latency_seconds_count', { provider: 'up', outcome: 'ok' })).toBeGreaterThan(0);
    expect(await metricValue(adapters, 'reqrun_upstream_in_flight', { provider: 'up' })).toBe(0);
    const text = await (await get(ingress)).text();
    for (const line of ['reqrun_submit_queue_depth{window="asap"}', 'reqrun_dispatch_queue_depth{provider="up"}', 'reqrun_dispatch_in_progress{provider="mock"}']) {
      expect(text).toContain(line);
    }
    expect(text).not.toMatch(/rr_[0-9A-HJKMNP-TV-Z]{26}/); // no request ids as labels
  });

  it('counts retries', async () => {
    const retries = await metricValue(`${mesh.apps.find((x) => x.app === 'adapters')!.url}/metrics`, 'reqrun_retries_total', { api: 'chat', tenant: 'team-a' });
    await a.chat.completions.create({ model: 'mock-1', messages: user('retry me'), metadata: { mock_fail: 'retryable:1' } });
    expect(await metricValue(`${mesh.apps.find((x) => x.app === 'adapters')!.url}/metrics`, 'reqrun_retries_total', { api: 'chat', tenant: 'team-a' })).toBe(retries + 1);
  });
});

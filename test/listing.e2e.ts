import { createHash } from 'node:crypto';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import OpenAI from 'openai';
import { CursorPage } from 'openai/pagination';
import { names } from '@reqrun/contracts';
import { startMesh, type Mesh } from '@reqrun/testing';
import { post } from './support/records.js';

/**
 * `GET /v1/requests` (and `rr.api.v1.list`) against the running mesh: a tenant's requests newest first (or oldest),
 * paged by `after` with the SDK's own paginator, filtered by status, window and model, never another tenant's, and
 * found behind many of another tenant's requests (the index is read backwards a stretch at a time).
 */
const KEY_A = 'rr-e2e-list-a-5d1c9e0f7b3a2864';
const KEY_B = 'rr-e2e-list-b-8e2f4a6c0d9b1735';
const KEY_C = 'rr-e2e-list-c-1a7e3c5b9f0d2468';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const user = (content: string) => [{ role: 'user', content }];

let mesh: Mesh;
let nc: NatsConnection;
let a: OpenAI;
/** Team A's requests, in the order they were sent (all chat but the last, a background response). */
const ids: string[] = [];
const byId = new Map<string, { model: string; window: string; fails: boolean }>();

const read = async (key: string, path: string) => {
  const res = await fetch(`${mesh.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, body: await res.json() as any };
};
const list = async (key: string, query = '') => {
  const r = await read(key, `/v1/requests${query}`);
  expect(r.status).toBe(200);
  return r.body;
};
/** Every page, following `after`, with `query` on each. */
const walk = async (key: string, query: string): Promise<string[]> => {
  const out: string[] = [];
  for (let after = ''; ;) {
    const page = await list(key, `?${query}${after ? `&after=${after}` : ''}`);
    out.push(...page.data.map((r: any) => r.id));
    if (!page.has_more) return out;
    after = page.last_id;
  }
};
const submit = async (key: string, body: Record<string, unknown>) => {
  const res = await post(`${mesh.url}/v1/chat/completions`, { ...body, wait: false }, { authorization: `Bearer ${key}` });
  expect(res.status).toBe(202);
  return (await res.json()).id as string;
};
const settled = async (key: string, id: string) => {
  for (const until = Date.now() + 20_000; ;) {
    const r = await read(key, `/v1/requests/${id}`);
    if (!['queued', 'in_progress'].includes(r.body.status)) return r.body;
    if (Date.now() > until) throw new Error(`request ${id} still ${r.body.status}`);
    await new Promise((done) => setTimeout(done, 50));
  }
};

beforeAll(async () => {
  mesh = await startMesh({
    config: {
      retry: { max_attempts: 1, base_delay_ms: 20, max_delay_ms: 100 },
      providers: [{ name: 'mock', type: 'mock' }],
      models: { 'mock-1': { targets: [{ provider: 'mock' }] }, 'mock-2': { targets: [{ provider: 'mock' }] } },
      tenants: ['a', 'b', 'c'].map((t, i) => ({ name: `team-${t}`, keys: [{ sha256: sha256([KEY_A, KEY_B, KEY_C][i]) }] })),
    },
  });
  nc = await connect({ servers: mesh.nats.url });
  a = new OpenAI({ baseURL: `${mesh.url}/v1`, apiKey: KEY_A, maxRetries: 0 });
  for (let i = 0; i < 12; i++) {
    const model = i % 3 === 0 ? 'mock-2' : 'mock-1';
    const window = i % 4 === 0 ? 'standard' : 'asap';
    const fails = i === 5;
    const id = await submit(KEY_A, { model, messages: user(`a${i}`), completion_window: window, ...(fails ? { metadata: { mock_fail: 'terminal' } } : {}) });
    ids.push(id);
    byId.set(id, { model, window, fails });
  }
  const response = await a.responses.create({ model: 'mock-1', input: 'a12', background: true });
  ids.push(response.id);
  byId.set(response.id, { model: 'mock-1', window: 'standard', fails: false });
  for (let i = 0; i < 3; i++) await submit(KEY_B, { model: 'mock-1', messages: user(`b${i}`) });
  for (const id of ids) await settled(KEY_A, id);
});
afterAll(async () => {
  await nc?.close();
  await mesh?.stop();
});

describe('GET /v1/requests', () => {
  it('is an empty list for a tenant with no requests', async () => {
    expect(await list(KEY_C)).toEqual({ object: 'list', data: [], first_id: null, last_id: null, has_more: false });
  });

  it("lists the caller's requests newest first, each as its request view without the result", async () => {
    const page = await list(KEY_A, '?limit=100');
    expect(page.data.map((r: any) => r.id)).toEqual([...ids].reverse());
    expect(page).toMatchObject({ object: 'list', first_id: ids.at(-1), last_id: ids[0], has_more: false });
    const chat = page.data.find((r: any) => r.id === ids[1]);
    expect(chat).toMatchObject({ object: 'request', api: 'chat', status: 'completed', model: 'mock-1', completion_window: 'asap', attempts: 1, history: [{ provider: 'mock', outcome: 'completed' }] });
    expect(chat).not.toHaveProperty('result');
    expect(page.data[0]).toMatchObject({ api: 'responses', completion_window: 'standard' });
    expect(page.data.find((r: any) => r.id === ids[5])).toMatchObject({ status: 'failed', error: { code: expect.any(String) } });
  });

  it('pages with after in both orders, and the SDK paginator walks every page', async () => {
    expect(await walk(KEY_A, 'limit=5')).toEqual([...ids].reverse());
    expect(await walk(KEY_A, 'limit=4&order=asc')).toEqual(ids);
    const first = await list(KEY_A, '?limit=5');
    expect(first).toMatchObject({ has_more: true, first_id: ids.at(-1), last_id: ids.at(-5) });
    const viaSdk: string[] = [];
    for await (const r of a.getAPIList<{ id: string }, CursorPage<{ id: string }>>('/requests', CursorPage, { query: { limit: 3 } })) viaSdk.push(r.id);
    expect(viaSdk).toEqual([...ids].reverse());
  });

  it('filters by status, completion window and model, alone and together', async () => {
    const expected = (f: (r: { model: string; window: string; fails: boolean }) => boolean) => [...ids].reverse().filter((id) => f(byId.get(id)!));
    expect(await walk(KEY_A, 'status=failed')).toEqual([ids[5]]);
    expect(await walk(KEY_A, 'status=completed&limit=4')).toEqual(expected((r) => !r.fails));
    expect(await walk(KEY_A, 'completion_window=standard&limit=2')).toEqual(expected((r) => r.window === 'standard'));
    expect(await walk(KEY_A, 'model=mock-2')).toEqual(expected((r) => r.model === 'mock-2'));
    expect(await walk(KEY_A, 'model=mock-2&completion_window=now&order=asc')).toEqual(expected((r) => r.model === 'mock-2' && r.window === 'asap').reverse());
    expect(await walk(KEY_A, 'status=queued')).toEqual([]);
  });

  it("never lists another tenant's requests, nor takes one as a cursor", async () => {
    const b = await list(KEY_B);
    expect(b.data).toHaveLength(3);
    expect(b.data.every((r: any) => !ids.includes(r.id))).toBe(true);
    const foreign = await read(KEY_B, `/v1/requests?after=${ids[3]}`);
    expect(foreign.status).toBe(400);
    expect(foreign.body.error).toMatchObject({ param: 'after', type: 'invalid_request_error' });
    expect(foreign.body.error.message).toContain(ids[3]);
  });

  it.each([
    ['limit=0', 'limit'], ['limit=101', 'limit'], ['order=sideways', 'order'], ['status=done', 'status'],
    ['completion_window=soon', 'completion_window'], ['after=rr_01J00000000000000000000000', 'after'], ['after=nope', 'after'],
    ['status=failed&status=queued', 'status'],
  ])('?%s is a 400 naming %s, in the OpenAI envelope', async (q, param) => {
    const r = await read(KEY_A, `/v1/requests?${q}`);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ param, type: 'invalid_request_error' });
  });

  it('no longer lists a deleted request', async () => {
    const doomed = (await a.responses.create({ model: 'mock-1', input: 'doomed', background: true })).id;
    await settled(KEY_A, doomed);
    expect((await list(KEY_A, '?limit=1')).data[0].id).toBe(doomed);
    await a.responses.delete(doomed);
    expect((await list(KEY_A, '?limit=1')).data[0].id).toBe(ids.at(-1));
  });

  it("finds a tenant's requests behind thousands of another tenant's", async () => {
    const many = 1500;
    for (let i = 0; i < many; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, j) => submit(KEY_B, { model: 'mock-1', messages: user(`bulk${i + j}`) })));
    }
    expect(await walk(KEY_A, 'limit=7')).toEqual([...ids].reverse());
    expect(await walk(KEY_A, 'limit=7&order=asc')).toEqual(ids);
    const b = await list(KEY_B, '?limit=100');
    expect(b).toMatchObject({ has_more: true });
    expect(b.data).toHaveLength(100);
    expect(new Set(b.data.map((r: any) => r.id)).size).toBe(100);
  });
});

describe('rr.api.v1.list', () => {
  const call = async (payload: unknown, key = KEY_A) => {
    const h = natsHeaders();
    h.set('Authorization', `Bearer ${key}`);
    return (await nc.request(names('rr').api('list'), JSON.stringify(payload), { timeout: 20_000, headers: h })).json<{ status: number; body: any }>();
  };

  it('answers the same page over NATS, a numeric limit included', async () => {
    const r = await call({ limit: 2, model: 'mock-2', order: 'asc' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ object: 'list', has_more: true });
    expect(r.body.data.map((x: any) => x.id)).toEqual(ids.filter((id) => byId.get(id)!.model === 'mock-2').slice(0, 2));
  });

  it('refuses a bad parameter with a 400 in the OpenAI envelope', async () => {
    const r = await call({ limit: 'many' });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ param: 'limit' });
  });
});

import Anthropic from '@anthropic-ai/sdk';
import { Objm } from '@nats-io/obj';
import { connect } from '@nats-io/transport-node';
import { startMesh, type Mesh } from '@reqrun/testing';
import { batchMeshConfig } from './support/batch-mesh.js';
import { until } from './support/within.js';

/**
 * Anthropic's Message Batches API through the running mesh, with the official SDK unmodified: create a batch of
 * Messages requests, poll it to `ended`, read its results with the SDK's own JSONL decoder. Requests run as
 * batch-window requests on the mock provider (its latency asked per request through `metadata`).
 */
const keyOf = (t: string) => `rr-e2e-msgbatches-${t}-7c2e51d0`;
const config = (window_s: number) => batchMeshConfig(keyOf, window_s);

type Params = Anthropic.MessageCreateParamsNonStreaming;
const params = (text: string, extra: Record<string, unknown> = {}): Params => ({ model: 'mock-1', max_tokens: 50, messages: [{ role: 'user', content: text }], ...extra }) as Params;
const slow = (text: string, ms: number) => params(text, { metadata: { mock_latency_ms: String(ms) } });
const requests = (n: number, of: (i: number) => Params = (i) => params(`line ${i}`)) => Array.from({ length: n }, (_, i) => ({ custom_id: `req-${i}`, params: of(i) }));

let mesh: Mesh;
const clients: Record<string, Anthropic> = {};
const client = (t = 'alpha', m = mesh) => (clients[`${t}@${m.url}`] ??= new Anthropic({ baseURL: m.url, apiKey: keyOf(t), maxRetries: 0 }));
const ended = (id: string, c = client(), timeoutMs = 20_000) =>
  until(`message batch ${id} ended`, async () => {
    const b = await c.messages.batches.retrieve(id);
    return b.processing_status === 'ended' ? b : null;
  }, timeoutMs, 100);
const resultsOf = async (id: string, c = client()) => {
  const out: Anthropic.Messages.MessageBatchIndividualResponse[] = [];
  for await (const r of await c.messages.batches.results(id)) out.push(r);
  return out;
};
/** The error a call threw (the SDK's APIError: `status` and the body as `error`). */
const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('expected an error'); }, (e: { status: number; error: unknown }) => ({ status: e.status, body: e.error }));
const raw = (path: string, init: RequestInit = {}, t = 'alpha') =>
  fetch(`${mesh.url}${path}`, { ...init, headers: { 'x-api-key': keyOf(t), 'anthropic-version': '2023-06-01', 'content-type': 'application/json', ...init.headers } });
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

beforeAll(async () => {
  mesh = await startMesh({ config: config(3600) });
});
afterAll(() => mesh?.stop());

describe('message batches', () => {
  it('runs a batch to its end: every result succeeded, in input order, read by the SDK', async () => {
    const reqs = requests(10);
    const created = await client().messages.batches.create({ requests: reqs });
    expect(created).toMatchObject({
      type: 'message_batch', processing_status: 'in_progress', results_url: null, ended_at: null, archived_at: null, cancel_initiated_at: null,
      request_counts: { processing: 10, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
    });
    expect(created.id).toMatch(/^msgbatch_[0-9A-Za-z]{24}$/);
    expect(created.created_at).toMatch(RFC3339);
    expect(Date.parse(created.expires_at) - Date.parse(created.created_at)).toBe(3600_000);
    const b = await ended(created.id);
    expect(b).toMatchObject({ processing_status: 'ended', request_counts: { processing: 0, succeeded: 10, errored: 0, canceled: 0, expired: 0 } });
    expect(b.ended_at).toMatch(RFC3339);
    expect(b.results_url).toBe(`${mesh.url}/v1/messages/batches/${b.id}/results`);
    const results = await resultsOf(b.id);
    expect(results.map((r) => r.custom_id)).toEqual(reqs.map((r) => r.custom_id));
    results.forEach((r, i) => {
      if (r.result.type !== 'succeeded') throw new Error(`line ${i}: ${JSON.stringify(r.result)}`);
      expect(r.result.message).toMatchObject({ type: 'message', role: 'assistant', model: 'mock-1', id: expect.stringMatching(/^rr_/), content: [{ type: 'text', text: `Mock reply to: line ${i}` }] });
    });
    // The batch's own files are not the Files API's.
    const files = (await (await fetch(`${mesh.url}/v1/files`, { headers: { authorization: `Bearer ${keyOf('alpha')}` } })).json()) as { data: unknown[] };
    expect(files.data).toEqual([]);
  });

  it('makes a request the create path refuses an errored result, counted; the rest succeed', async () => {
    const reqs = [
      { custom_id: 'ok-0', params: params('fine 0') },
      { custom_id: 'bad-model', params: params('x', { model: 'no-such-model' }) },
      { custom_id: 'bad-params', params: { model: 'mock-1', messages: [{ role: 'user', content: 'no max_tokens' }] } as unknown as Params },
      { custom_id: 'fails', params: params('x', { metadata: { mock_fail: 'terminal' } }) },
      { custom_id: 'ok-1', params: params('fine 1') },
    ];
    const b = await ended((await client().messages.batches.create({ requests: reqs })).id);
    expect(b.request_counts).toEqual({ processing: 0, succeeded: 2, errored: 3, canceled: 0, expired: 0 });
    const results = await resultsOf(b.id);
    expect(results.map((r) => [r.custom_id, r.result.type])).toEqual([['ok-0', 'succeeded'], ['bad-model', 'errored'], ['bad-params', 'errored'], ['fails', 'errored'], ['ok-1', 'succeeded']]);
    expect(results[1].result).toEqual({ type: 'errored', error: { type: 'error', error: { type: 'not_found_error', message: expect.stringContaining('no-such-model') }, request_id: null } });
    expect(results[2].result).toMatchObject({ type: 'errored', error: { type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('max_tokens') } } });
    expect(results[3].result).toMatchObject({ type: 'errored', error: { type: 'error', error: { type: expect.any(String) }, request_id: expect.stringMatching(/^rr_/) } });
  });

  it('cancels a running batch: canceling, then ended with every unfinished request canceled', async () => {
    const reqs = requests(4, (i) => slow(`slow ${i}`, 20_000));
    const created = await client().messages.batches.create({ requests: reqs });
    await until('its requests running', async () => {
      const page = (await (await raw('/v1/requests?status=in_progress&completion_window=batch&limit=100')).json()) as { data: unknown[] };
      return page.data.length >= 4;
    }, 10_000, 50);
    const canceling = await client().messages.batches.cancel(created.id);
    expect(canceling.processing_status).toBe('canceling');
    expect(canceling.cancel_initiated_at).toMatch(RFC3339);
    const b = await ended(created.id);
    expect(b.request_counts).toEqual({ processing: 0, succeeded: 0, errored: 0, canceled: 4, expired: 0 });
    expect((await resultsOf(b.id)).map((r) => [r.custom_id, r.result])).toEqual(reqs.map((r) => [r.custom_id, { type: 'canceled' }]));
    expect((await client().messages.batches.cancel(b.id)).processing_status).toBe('ended'); // a canceled batch: the same
  });

  it('cancels a batch before it starts: every request canceled, none run', async () => {
    const reqs = requests(3);
    const created = await client().messages.batches.create({ requests: reqs });
    await client().messages.batches.cancel(created.id);
    const b = await ended(created.id);
    expect(b.request_counts).toMatchObject({ processing: 0, errored: 0 });
    expect(b.request_counts.canceled + b.request_counts.succeeded).toBe(3); // the cancel may land after some started
    const results = await resultsOf(b.id);
    expect(results.map((r) => r.custom_id)).toEqual(reqs.map((r) => r.custom_id));
    expect(results.filter((r) => r.result.type === 'canceled')).toHaveLength(b.request_counts.canceled);
  });

  it('lists the caller\'s batches newest first, in pages both ways, and not the OpenAI ones', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await client('beta').messages.batches.create({ requests: requests(1) })).id);
    const newestFirst = [...ids].reverse();
    const page = await client('beta').messages.batches.list({ limit: 2 });
    expect(page.data.map((b) => b.id)).toEqual(newestFirst.slice(0, 2));
    expect(page).toMatchObject({ has_more: true, first_id: newestFirst[0], last_id: newestFirst[1] });
    const all: string[] = [];
    for await (const b of client('beta').messages.batches.list({ limit: 1 })) all.push(b.id);
    expect(all).toEqual(newestFirst);
    const back = await client('beta').messages.batches.list({ limit: 1, before_id: newestFirst[2] });
    expect(back.data.map((b) => b.id)).toEqual([newestFirst[1]]);
    expect(back.has_more).toBe(true);
    const openai = (await (await fetch(`${mesh.url}/v1/batches`, { headers: { authorization: `Bearer ${keyOf('beta')}` } })).json()) as { data: unknown[] };
    expect(openai.data).toEqual([]);
    expect(await failure(client('beta').messages.batches.list({ limit: 1001 }))).toMatchObject({ status: 400, body: { type: 'error', error: { type: 'invalid_request_error' } } });
  });

  it('deletes only an ended batch; results only once ended', async () => {
    const created = await client().messages.batches.create({ requests: [{ custom_id: 'a', params: slow('slow', 20_000) }] });
    const early = await raw(`/v1/messages/batches/${created.id}/results`);
    expect(early.status).toBe(409);
    expect(await early.json()).toMatchObject({ type: 'error', error: { type: 'conflict_error', message: expect.stringContaining('ended') } });
    expect(await failure(client().messages.batches.delete(created.id))).toMatchObject({ status: 409, body: { type: 'error', error: { type: 'conflict_error', message: expect.stringContaining('cancel it') } } });
    await client().messages.batches.cancel(created.id);
    await ended(created.id);
    expect(await client().messages.batches.delete(created.id)).toEqual({ id: created.id, type: 'message_batch_deleted' });
    for (const p of [client().messages.batches.retrieve(created.id), client().messages.batches.delete(created.id), raw(`/v1/messages/batches/${created.id}/results`).then((r) => (r.ok ? r : Promise.reject({ status: r.status, error: null })))]) {
      expect((await failure(p)).status).toBe(404);
    }
    expect((await client().messages.batches.list({ limit: 1000 })).data.map((b) => b.id)).not.toContain(created.id);
  });

  it("answers another tenant's batch, an unknown id and an OpenAI batch id with Anthropic's 404", async () => {
    const mine = await client().messages.batches.create({ requests: requests(1) });
    const notFound = { status: 404, body: { type: 'error', error: { type: 'not_found_error', message: expect.any(String) } } };
    const other = client('beta').messages.batches;
    for (const p of [other.retrieve(mine.id), other.cancel(mine.id), other.delete(mine.id), client().messages.batches.retrieve(`msgbatch_${'0'.repeat(24)}`), client().messages.batches.retrieve('batch_nope')]) {
      expect(await failure(p)).toMatchObject(notFound);
    }
    expect(await (await raw(`/v1/messages/batches/${mine.id}/results`, {}, 'beta')).json()).toMatchObject(notFound.body);
    // …and the OpenAI Batch API does not see it either.
    expect((await fetch(`${mesh.url}/v1/batches/${mine.id}`, { headers: { authorization: `Bearer ${keyOf('alpha')}` } })).status).toBe(404);
  });

  it('refuses bad input with a 400 in Anthropic\'s envelope, storing nothing', async () => {
    const nc = await connect({ servers: mesh.nats.url });
    try {
      const files = await new Objm(nc).open('rr-files');
      const stored = async () => ({ files: (await files.list()).length, batches: (await client().messages.batches.list({ limit: 1000 })).data.length });
      // The batches earlier tests left running write their results files when they end: count once they all have.
      for (const t of ['alpha', 'beta']) {
        for (const b of (await client(t).messages.batches.list({ limit: 1000 })).data) await ended(b.id, client(t));
      }
      const before = await stored();
      const bodies: unknown[] = [
        {}, { requests: {} }, { requests: [] }, { requests: [{ custom_id: 'a b', params: params('x') }] }, { requests: [{ custom_id: 'x'.repeat(65), params: params('x') }] },
        { requests: [{ custom_id: 'a', params: params('x') }, { custom_id: 'a', params: params('y') }] }, { requests: [{ custom_id: 'a', params: 'hi' }] }, [1],
      ];
      for (const body of bodies) {
        const res = await raw('/v1/messages/batches', { method: 'POST', body: JSON.stringify(body) });
        expect([res.status, await res.json()]).toEqual([400, { type: 'error', error: { type: 'invalid_request_error', message: expect.any(String) }, request_id: null }]);
      }
      const tooLarge = await raw('/v1/messages/batches', { method: 'POST', body: JSON.stringify({ requests: [{ custom_id: 'a', params: params('x'.repeat(5 * 1024 * 1024)) }] }) });
      expect([tooLarge.status, await tooLarge.json()]).toEqual([413, expect.objectContaining({ type: 'error', error: { type: 'request_too_large', message: expect.any(String) } })]);
      expect(await failure(client('nobatch').messages.batches.create({ requests: requests(1) }))).toMatchObject({ status: 403, body: { error: { type: 'permission_error' } } });
      expect((await raw('/v1/messages/batches', { method: 'POST', body: JSON.stringify({ requests: requests(1) }), headers: { 'x-api-key': 'wrong' } })).status).toBe(401);
      expect(await stored()).toEqual(before);
    } finally {
      await nc.close();
    }
  });
});

describe('message batch expiry', () => {
  let short: Mesh;
  beforeAll(async () => {
    // 5 s: the quick line must finish inside the window even on a busy machine; the slow one (30 s) never does.
    short = await startMesh({ config: config(5) });
  });
  afterAll(() => short?.stop());

  it('expires what outlasts the window: a finished request succeeded, an unfinished one expired', async () => {
    const c = client('alpha', short);
    const created = await c.messages.batches.create({ requests: [{ custom_id: 'fast', params: params('quick') }, { custom_id: 'slow', params: slow('late', 30_000) }] });
    const b = await ended(created.id, c, 15_000);
    expect(b.request_counts).toEqual({ processing: 0, succeeded: 1, errored: 0, canceled: 0, expired: 1 });
    expect((await resultsOf(b.id, c)).map((r) => [r.custom_id, r.result.type])).toEqual([['fast', 'succeeded'], ['slow', 'expired']]);
  });
});

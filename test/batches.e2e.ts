import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import OpenAI, { toFile } from 'openai';
import { metricValue, startMesh, type Mesh } from '@reqrun/testing';
import { schemaErrors } from './support/openai-schema.js';
import { batchMeshConfig } from './support/batch-mesh.js';
import { until } from './support/within.js';

/**
 * OpenAI's Batch API through the running mesh, with the official SDK: upload a JSONL file, create a batch, poll it
 * to its end, read its output and error files. Lines run as batch-window requests on the mock provider.
 */
const keyOf = (t: string) => `rr-e2e-batches-${t}-4f1a93c2`;
// Two lines at a time in the fan-out: slow enough for the kill test to land in the middle of it.
const config = (window_s: number) => batchMeshConfig(keyOf, window_s, { submit_concurrency: 2 });
const FINAL = new Set(['completed', 'failed', 'cancelled', 'expired']);

type Line = { custom_id: string; body: Record<string, unknown>; url?: string };
const chatLine = (i: number, extra: Record<string, unknown> = {}): Line => ({
  custom_id: `req-${i}`, body: { model: 'mock-1', messages: [{ role: 'user', content: `line ${i}` }], ...extra },
});
const jsonl = (lines: Line[], endpoint = '/v1/chat/completions') =>
  lines.map((l) => JSON.stringify({ custom_id: l.custom_id, method: 'POST', url: l.url ?? endpoint, body: l.body })).join('\n') + '\n';

let mesh: Mesh;
const clients: Record<string, OpenAI> = {};
const client = (t = 'alpha') => (clients[t] ??= new OpenAI({ baseURL: `${mesh.url}/v1`, apiKey: keyOf(t), maxRetries: 0 }));
const mockCalls = (m = mesh) => metricValue(`${m.apps.find((a) => a.app === 'adapters')!.url}/metrics`, 'reqrun_upstream_calls_total', { provider: 'mock' });

const upload = async (text: string, c = client()) => (await c.files.create({ file: await toFile(Buffer.from(text), 'in.jsonl'), purpose: 'batch' })).id;
const batchOf = async (lines: Line[], endpoint: '/v1/chat/completions' | '/v1/responses' = '/v1/chat/completions', c = client()) =>
  c.batches.create({ input_file_id: await upload(jsonl(lines, endpoint), c), endpoint, completion_window: '24h' });
const settle = (id: string, timeoutMs = 20_000, c = client()) =>
  until(`batch ${id} final`, async () => {
    const b = await c.batches.retrieve(id);
    return FINAL.has(b.status) ? b : null;
  }, timeoutMs, 100);
const linesOf = async (fileId: string | null | undefined, c = client()): Promise<any[]> => {
  if (!fileId) return [];
  const text = await (await c.files.content(fileId)).text();
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
};
/** Batch.schema.json lost OpenAI's `nullable` (the API sends null for what is not reached): a null field is left out. */
const withoutNulls = (o: object) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null));
/** The status of a call that threw (the SDK's APIError), or 200. */
const statusOf = (p: Promise<unknown>) => p.then(() => 200, (e: { status?: number }) => e.status ?? 0);

beforeAll(async () => {
  mesh = await startMesh({ config: config(3600) });
});
afterAll(() => mesh?.stop());

describe('batches', () => {
  it('runs a chat batch to the end: every answer in the output file, in input order', async () => {
    const lines = Array.from({ length: 20 }, (_, i) => chatLine(i));
    const created = await batchOf(lines);
    expect(created).toMatchObject({ object: 'batch', status: 'validating', endpoint: '/v1/chat/completions', completion_window: '24h', output_file_id: null });
    expect(created.id).toMatch(/^batch_[0-9A-Za-z]{24}$/);
    expect(created.expires_at! - created.created_at).toBe(3600);
    const b = await settle(created.id);
    expect(b).toMatchObject({ status: 'completed', request_counts: { total: 20, completed: 20, failed: 0 }, error_file_id: null });
    for (const t of ['in_progress_at', 'finalizing_at', 'completed_at'] as const) expect(b[t]).toEqual(expect.any(Number));
    expect(schemaErrors('Batch', withoutNulls(b))).toEqual([]);
    const out = await linesOf(b.output_file_id);
    expect(out.map((l) => l.custom_id)).toEqual(lines.map((l) => l.custom_id));
    out.forEach((l, i) => {
      expect(l).toMatchObject({ id: expect.stringMatching(/^batch_req_/), error: null, response: { status_code: 200, request_id: expect.stringMatching(/^rr_/) } });
      expect(l.response.body).toMatchObject({ object: 'chat.completion', id: l.response.request_id, choices: [{ message: { content: `Mock reply to: line ${i}` } }] });
      expect(schemaErrors('CreateChatCompletionResponse', l.response.body)).toEqual([]);
    });
    const file = await client().files.retrieve(b.output_file_id!);
    expect(file.purpose).toBe('batch_output');
  });

  it('runs a /v1/responses batch', async () => {
    const lines = [0, 1, 2].map((i) => ({ custom_id: `r${i}`, body: { model: 'mock-1', input: `resp ${i}` } }));
    const b = await settle((await batchOf(lines, '/v1/responses')).id);
    expect(b).toMatchObject({ status: 'completed', request_counts: { total: 3, completed: 3, failed: 0 } });
    const out = await linesOf(b.output_file_id);
    expect(out.map((l) => l.response.body.object)).toEqual(['response', 'response', 'response']);
    expect(out[1].response.body).toMatchObject({ status: 'completed', output: [{ content: [{ text: 'Mock reply to: resp 1' }] }] });
    out.forEach((l) => expect(schemaErrors('Response', l.response.body)).toEqual([]));
  });

  it('puts a line the create path refuses and a line that fails in the error file; the rest complete', async () => {
    const lines = [chatLine(0), chatLine(1, { model: 'no-such-model' }), chatLine(2, { metadata: { mock_fail: 'terminal' } }), chatLine(3)];
    const b = await settle((await batchOf(lines)).id);
    expect(b).toMatchObject({ status: 'completed', request_counts: { total: 4, completed: 2, failed: 2 } });
    expect((await linesOf(b.output_file_id)).map((l) => l.custom_id)).toEqual(['req-0', 'req-3']);
    const errors = await linesOf(b.error_file_id);
    expect(errors.map((l) => l.custom_id)).toEqual(['req-1', 'req-2']);
    expect(errors[0]).toMatchObject({ error: null, response: { status_code: 404, request_id: null, body: { error: { code: 'model_not_found', param: 'model' } } } });
    expect(errors[1]).toMatchObject({ error: null, response: { request_id: expect.stringMatching(/^rr_/), status_code: expect.any(Number) } });
    expect(schemaErrors('ErrorResponse', errors[0].response.body)).toEqual([]);
    expect(schemaErrors('ErrorResponse', errors[1].response.body)).toEqual([]);
  });

  it('fails a malformed input file as a whole, naming the lines', async () => {
    const text = [JSON.stringify({ custom_id: 'a', method: 'POST', url: '/v1/chat/completions', body: {} }), '{"custom_id": "b", oops',
      JSON.stringify({ custom_id: 'a', method: 'POST', url: '/v1/chat/completions', body: {} }),
      JSON.stringify({ custom_id: 'c', method: 'POST', url: '/v1/embeddings', body: {} })].join('\n');
    const created = await client().batches.create({ input_file_id: await upload(text), endpoint: '/v1/chat/completions', completion_window: '24h' });
    const b = await settle(created.id);
    expect(b).toMatchObject({ status: 'failed', failed_at: expect.any(Number), output_file_id: null, request_counts: { total: 0 } });
    expect(b.errors?.data?.map((e) => [e.code, e.line])).toEqual([['invalid_json_line', 2], ['duplicate_custom_id', 3], ['invalid_url', 4]]);
    expect(schemaErrors('Batch', withoutNulls(b))).toEqual([]);
  });

  it('cancels a running batch: cancelling, then cancelled; what did not finish is in the error file', async () => {
    const lines = Array.from({ length: 6 }, (_, i) => chatLine(i, { metadata: { mock_latency_ms: '20000' } }));
    const created = await batchOf(lines);
    await until('in progress', async () => (await client().batches.retrieve(created.id)).status === 'in_progress', 10_000, 50);
    const calls = await mockCalls();
    const cancelling = await client().batches.cancel(created.id);
    expect(cancelling.status).toBe('cancelling');
    expect(cancelling.cancelling_at).toEqual(expect.any(Number));
    const b = await settle(created.id);
    expect(b).toMatchObject({ status: 'cancelled', cancelled_at: expect.any(Number), output_file_id: null, request_counts: { total: 6, completed: 0, failed: 6 } });
    const errors = await linesOf(b.error_file_id);
    expect(errors.map((l) => l.custom_id)).toEqual(lines.map((l) => l.custom_id));
    for (const l of errors) expect(l).toMatchObject({ response: null, error: { code: 'batch_cancelled' } });
    expect(await mockCalls()).toBeLessThanOrEqual(calls + 6);
    expect((await client().batches.cancel(created.id)).status).toBe('cancelled'); // idempotent
  });

  it('refuses to cancel a finished batch (409)', async () => {
    const b = await settle((await batchOf([chatLine(0)])).id);
    const err = await client().batches.cancel(b.id).catch((e) => e);
    expect(err.status).toBe(409);
    expect(err.message).toMatch(/already completed/);
  });

  it("hides another tenant's batch: 404 on retrieve and cancel, and it is not listed", async () => {
    const mine = await batchOf([chatLine(0)]);
    expect(await statusOf(client('beta').batches.retrieve(mine.id))).toBe(404);
    expect(await statusOf(client('beta').batches.cancel(mine.id))).toBe(404);
    expect(await statusOf(client().batches.retrieve('batch_nope'))).toBe(404);
    expect(await statusOf(client().batches.retrieve(`batch_${'0'.repeat(24)}`))).toBe(404);
    expect((await client('beta').batches.list()).data.map((b) => b.id)).not.toContain(mine.id);
  });

  it('lists batches newest first, in pages', async () => {
    const page = await client().batches.list({ limit: 2 });
    expect(page.data).toHaveLength(2);
    expect(page.data[0].created_at).toBeGreaterThanOrEqual(page.data[1].created_at);
    const raw = await (await fetch(`${mesh.url}/v1/batches?limit=2`, { headers: { authorization: `Bearer ${keyOf('alpha')}` } })).json();
    expect(raw).toMatchObject({ object: 'list', first_id: page.data[0].id, last_id: page.data[1].id, has_more: true });
    const next = await client().batches.list({ limit: 2, after: page.data[1].id });
    expect(next.data[0].id < page.data[1].id).toBe(true);
  });

  it('refuses bad create input with a 4xx naming the field, never a 5xx', async () => {
    const good = await upload(jsonl([chatLine(0)]));
    const create = (body: Record<string, unknown>, c = client()) =>
      c.batches.create({ input_file_id: good, endpoint: '/v1/chat/completions', completion_window: '24h', ...body } as never).catch((e) => e);
    const wrongEndpoint = await create({ endpoint: '/v1/embeddings' });
    expect(wrongEndpoint.status).toBe(400);
    expect(wrongEndpoint.error).toMatchObject({ param: 'endpoint', message: expect.stringContaining('/v1/responses') });
    expect(await create({ completion_window: '1h' })).toMatchObject({ status: 400, error: { param: 'completion_window' } });
    expect(await create({ input_file_id: undefined })).toMatchObject({ status: 400, error: { param: 'input_file_id' } });
    expect(await create({ input_file_id: 'file-nope' })).toMatchObject({ status: 404, error: { param: 'input_file_id' } });
    expect(await create({}, client('beta'))).toMatchObject({ status: 404, error: { param: 'input_file_id' } });
    const output = (await settle((await batchOf([chatLine(0)])).id)).output_file_id; // purpose batch_output
    expect(await create({ input_file_id: output })).toMatchObject({ status: 400, error: { param: 'input_file_id', message: expect.stringContaining("purpose 'batch'") } });
    expect(await create({ metadata: { n: 1 } })).toMatchObject({ status: 400, error: { param: 'metadata' } });
    const noBatch = await upload(jsonl([chatLine(0)]), client('nobatch'));
    expect(await create({ input_file_id: noBatch }, client('nobatch'))).toMatchObject({ status: 403, error: { param: 'completion_window' } });
    const raw = await fetch(`${mesh.url}/v1/batches`, { method: 'POST', headers: { authorization: `Bearer ${keyOf('alpha')}`, 'content-type': 'application/json' }, body: '[1]' });
    expect(raw.status).toBe(400);
  });

  it('finishes a batch whose ingress is killed in the middle of its fan-out: every line run once', async () => {
    const nc: NatsConnection = await connect({ servers: mesh.nats.url });
    try {
      let accepted = 0;
      const sub = nc.subscribe('rr.event.accepted.*', { callback: () => void accepted++ });
      const before = await mockCalls();
      const lines = Array.from({ length: 300 }, (_, i) => chatLine(i));
      const created = await batchOf(lines);
      await until('part of the fan-out done', () => accepted >= 30, 15_000, 5);
      const ingress = mesh.apps.find((a) => a.app === 'ingress')!;
      await ingress.kill('SIGKILL');
      expect(accepted).toBeLessThan(300);
      await ingress.restart();
      const b = await settle(created.id, 60_000);
      sub.unsubscribe();
      expect(b).toMatchObject({ status: 'completed', request_counts: { total: 300, completed: 300, failed: 0 } });
      const out = await linesOf(b.output_file_id);
      expect(out.map((l) => l.custom_id)).toEqual(lines.map((l) => l.custom_id));
      expect(new Set(out.map((l) => l.response.request_id)).size).toBe(300);
      await until('every call counted', async () => (await mockCalls()) - before >= 300, 10_000, 100);
      expect((await mockCalls()) - before).toBe(300);
    } finally {
      await nc.close();
    }
  }, 90_000);
});

describe('batch expiry', () => {
  let short: Mesh;
  beforeAll(async () => {
    // 5 s: the quick line must finish inside the window even on a busy machine; the slow one (30 s) never does.
    short = await startMesh({ config: config(5) });
  });
  afterAll(() => short?.stop());

  it('expires a batch whose lines outlast its window: unfinished requests cancelled, finished ones in the output', async () => {
    const c = new OpenAI({ baseURL: `${short.url}/v1`, apiKey: keyOf('alpha'), maxRetries: 0 });
    const lines = [chatLine(0), chatLine(1, { metadata: { mock_latency_ms: '30000' } })];
    const created = await batchOf(lines, '/v1/chat/completions', c);
    const b = await settle(created.id, 15_000, c);
    expect(b).toMatchObject({ status: 'expired', expired_at: expect.any(Number), request_counts: { total: 2, completed: 1, failed: 1 } });
    expect((await linesOf(b.output_file_id, c)).map((l) => l.custom_id)).toEqual(['req-0']);
    expect(await linesOf(b.error_file_id, c)).toEqual([expect.objectContaining({ custom_id: 'req-1', response: null, error: expect.objectContaining({ code: 'batch_expired' }) })]);
  });
});

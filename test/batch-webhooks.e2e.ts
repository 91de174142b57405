import { createHash, randomBytes } from 'node:crypto';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { webhookEndpointKey, webhookEventId } from '@reqrun/contracts';
import { startMesh, type Mesh } from '@reqrun/testing';
import OpenAI, { toFile } from 'openai';
import { Webhook } from 'standardwebhooks';
import { schemaErrors } from './support/openai-schema.js';
import { Receiver, type Hit } from './support/webhook-receiver.js';
import { until } from './support/within.js';

/**
 * OpenAI's batch webhook events through the running mesh, batches made with the official SDK, delivered to a real
 * receiver on 127.0.0.1: a completed, a failed (malformed input) and a cancelled batch each tell `batch.<status>`
 * once, signed (standardwebhooks and `webhooks.unwrap()` verify it), in OpenAI's schema, recorded by batch id. An
 * endpoint whose `events` lists only `request.failed` gets no batch event; the lines' own request events arrive as
 * for any request.
 */
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const KEY = 'rr-e2e-batch-webhooks-alpha-7d3e51b0';
const secret = `whsec_${randomBytes(24).toString('base64')}`;

let mesh: Mesh;
let receiver: Receiver;
let nc: NatsConnection;
let kv: KV;
let client: OpenAI;

beforeAll(async () => {
  receiver = new Receiver();
  await receiver.start();
  mesh = await startMesh({
    env: { WH_SECRET: secret },
    config: {
      nats: { ack_wait_ms: 2000 },
      retry: { max_attempts: 2, base_delay_ms: 20, max_delay_ms: 100 },
      providers: [{ name: 'mock', type: 'mock' }],
      models: { 'mock-1': { targets: [{ provider: 'mock' }] } },
      batches: { poll_ms: 100 },
      webhooks: { allow_private: true, base_delay_ms: 300, max_delay_ms: 5000, max_age_s: 120, timeout_ms: 2000 },
      tenants: [{
        name: 'alpha', keys: [{ sha256: sha256(KEY) }],
        webhooks: [
          { url: `${receiver.url}/all`, secret_env: 'WH_SECRET' },
          { url: `${receiver.url}/failures`, secret_env: 'WH_SECRET', events: ['request.failed'] },
        ],
      }],
    },
  });
  nc = await connect({ servers: mesh.nats.url });
  kv = await new Kvm(nc).open('rr-webhooks');
  client = new OpenAI({ baseURL: `${mesh.url}/v1`, apiKey: KEY, maxRetries: 0 });
});
afterAll(async () => {
  await nc?.close();
  await mesh?.stop();
  await receiver?.close();
});

const FINAL = new Set(['completed', 'failed', 'cancelled', 'expired']);
const line = (i: number, metadata?: Record<string, string>) =>
  JSON.stringify({ custom_id: `req-${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'mock-1', messages: [{ role: 'user', content: `line ${i}` }], ...(metadata ? { metadata } : {}) } });
const create = async (text: string) => {
  const file = await client.files.create({ file: await toFile(Buffer.from(text), 'in.jsonl'), purpose: 'batch' });
  return client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
};
const settle = (id: string) => until(`batch ${id} final`, async () => {
  const b = await client.batches.retrieve(id);
  return FINAL.has(b.status) ? b : null;
}, 30_000, 100);

/** The lines of a batch's output or error file. */
const linesOf = async (fileId: string | null | undefined): Promise<any[]> =>
  fileId ? (await (await client.files.content(fileId)).text()).split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
const event = (h: Hit) => JSON.parse(h.body);
const about = (path: string, id: string) => receiver.on(path).filter((h) => event(h).data.id === id);
const signed = (h: Hit) => ({ 'webhook-id': h.headers['webhook-id'] as string, 'webhook-timestamp': h.headers['webhook-timestamp'] as string, 'webhook-signature': h.headers['webhook-signature'] as string });
/** Lets events that should not come have their chance (one delivery round trip, many times over). */
const quiet = () => new Promise((r) => setTimeout(r, 1500));

/** The one `batch.<status>` hit of a batch at the every-type endpoint, checked: signed, OpenAI's shape and schema, recorded by batch id. */
async function batchHit(id: string, status: 'completed' | 'failed' | 'cancelled', endedAt: number): Promise<Hit> {
  const type = `batch.${status}`;
  const hit = await until(`${type} for ${id}`, () => about('/all', id)[0], 20_000);
  const body = new Webhook(secret).verify(hit.body, signed(hit));
  expect(body).toEqual({ id: webhookEventId(id, status), object: 'event', type, created_at: endedAt, data: { id } });
  expect(hit.headers['webhook-id']).toBe(webhookEventId(id, status));
  expect(await new OpenAI({ apiKey: 'unused', webhookSecret: secret }).webhooks.unwrap(hit.body, signed(hit))).toEqual(body);
  const schema = `WebhookBatch${status[0].toUpperCase()}${status.slice(1)}` as 'WebhookBatchCompleted' | 'WebhookBatchFailed' | 'WebhookBatchCancelled';
  expect(schemaErrors(schema, body)).toEqual([]);
  const key = `delivery.${webhookEventId(id, status)}.${webhookEndpointKey('alpha', `${receiver.url}/all`)}`;
  const d = await until('the delivery record', async () => {
    const r = (await kv.get(key))?.json<any>();
    return r?.state === 'delivered' ? r : null;
  });
  expect(d).toMatchObject({ event_id: webhookEventId(id, status), type, batch_id: id, tenant: 'alpha', url: `${receiver.url}/all`, attempts: [{ status: 200 }] });
  expect(d).not.toHaveProperty('request_id');
  return hit;
}

describe('batch webhooks', () => {
  it('a completed batch tells batch.completed once; its lines tell their own request events; the request.failed endpoint gets only the failed line', async () => {
    const created = await create([line(0), line(1), line(2, { mock_fail: 'terminal' })].join('\n'));
    const b = await settle(created.id);
    expect(b).toMatchObject({ status: 'completed', request_counts: { total: 3, completed: 2, failed: 1 } });
    await batchHit(b.id, 'completed', b.completed_at!);

    const completedIds: string[] = (await linesOf(b.output_file_id)).map((l) => l.response.request_id);
    const failedId: string = (await linesOf(b.error_file_id))[0].response.request_id;
    for (const id of completedIds) await until(`request.completed for ${id}`, () => about('/all', id).find((h) => event(h).type === 'request.completed'));
    await until(`request.failed for ${failedId}`, () => about('/all', failedId).find((h) => event(h).type === 'request.failed'));
    await until(`request.failed for ${failedId} at /failures`, () => about('/failures', failedId)[0]);
    await quiet();
    expect(about('/all', b.id)).toHaveLength(1);
    expect(receiver.on('/failures').filter((h) => [b.id, ...completedIds].includes(event(h).data.id))).toEqual([]);
    expect(about('/failures', failedId).map((h) => event(h).type)).toEqual(['request.failed']);
  });

  it('a batch whose input file is malformed tells batch.failed', async () => {
    const created = await create(`${line(0)}\n{"custom_id": "b", oops\n`);
    const b = await settle(created.id);
    expect(b.status).toBe('failed');
    await batchHit(b.id, 'failed', b.failed_at!);
    await quiet();
    expect(about('/all', b.id)).toHaveLength(1);
    expect(about('/failures', b.id)).toEqual([]);
  });

  it('a cancelled batch tells batch.cancelled', async () => {
    const created = await create(Array.from({ length: 3 }, (_, i) => line(i, { mock_latency_ms: '20000' })).join('\n'));
    await until('in progress', async () => (await client.batches.retrieve(created.id)).status === 'in_progress', 10_000, 50);
    await client.batches.cancel(created.id);
    const b = await settle(created.id);
    expect(b.status).toBe('cancelled');
    await batchHit(b.id, 'cancelled', b.cancelled_at!);
    expect(await linesOf(b.error_file_id)).toHaveLength(3);
    await quiet();
    expect(about('/all', b.id)).toHaveLength(1);
    expect(about('/failures', b.id)).toEqual([]);
  });
});

import { createHash, randomBytes } from 'node:crypto';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { webhookEndpointKey, webhookEventId } from '@reqrun/contracts';
import { metricValue, startMesh, type Mesh } from '@reqrun/testing';
import OpenAI from 'openai';
import { Webhook } from 'standardwebhooks';
import { post } from './support/records.js';
import { Receiver } from './support/webhook-receiver.js';

/**
 * Webhooks through the running mesh to real HTTP receivers on 127.0.0.1: signed per Standard Webhooks (checked with
 * `standardwebhooks` and `openai`'s `webhooks.unwrap()`), retried after a 500, `retry-after` honoured, a 410 disables
 * the endpoint, a restart of the adapters mid-retry still delivers, and private addresses refused unless allowed.
 * Every attempt is read back from the `rr-webhooks` bucket.
 */
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const secret = () => `whsec_${randomBytes(24).toString('base64')}`;
const user = (content: string) => [{ role: 'user', content }];

const tenants = ['ok', 'flaky', 'later', 'gone', 'restart'] as const;
type T = (typeof tenants)[number];
const keyOf = (t: string) => `rr-e2e-webhooks-${t}-5c2e7a91`;
const secrets = Object.fromEntries(tenants.map((t) => [t, secret()])) as Record<T, string>;

let mesh: Mesh;
let receiver: Receiver;
let nc: NatsConnection;
let kv: KV;

const meshConfig = (extra: Record<string, unknown>, ts: { name: string; url: string; events?: string[] }[]) => ({
  nats: { ack_wait_ms: 2000 },
  wait: { default_s: 10, max_s: 30, sync_s: 30 },
  providers: [{ name: 'mock', type: 'mock' }],
  models: { 'mock-1': { targets: [{ provider: 'mock' }] } },
  webhooks: { base_delay_ms: 300, max_delay_ms: 5000, max_age_s: 120, timeout_ms: 2000, ...extra },
  tenants: ts.map((t) => ({
    name: t.name, keys: [{ sha256: sha256(keyOf(t.name)) }],
    webhooks: [{ url: t.url, secret_env: `WH_SECRET_${t.name.toUpperCase()}`, ...(t.events ? { events: t.events } : {}) }],
  })),
});

/** A chat request for the tenant, synchronous; its id. */
async function complete(tenant: string, url = mesh.url, path = '/v1/chat/completions', body: unknown = { model: 'mock-1', messages: user('hook') }): Promise<string> {
  const res = await post(`${url}${path}`, body, { authorization: `Bearer ${keyOf(tenant)}` });
  expect(res.status).toBe(200);
  return (await res.json()).id;
}

async function until<V>(what: string, f: () => Promise<V | undefined | null | false> | V | undefined | null | false, timeoutMs = 30_000): Promise<V> {
  for (const end = Date.now() + timeoutMs; ;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The delivery record of a request's completion to the tenant's endpoint. */
const delivery = async (bucket: KV, tenant: string, url: string, id: string, kind = 'completed'): Promise<any> =>
  (await bucket.get(`delivery.${webhookEventId(id, kind)}.${webhookEndpointKey(tenant, url)}`))?.json();

beforeAll(async () => {
  receiver = new Receiver();
  await receiver.start();
  mesh = await startMesh({
    env: Object.fromEntries(tenants.map((t) => [`WH_SECRET_${t.toUpperCase()}`, secrets[t]])),
    config: meshConfig({ allow_private: true }, tenants.map((t) => ({ name: t, url: `${receiver.url}/${t}` }))),
  });
  nc = await connect({ servers: mesh.nats.url });
  kv = await new Kvm(nc).open('rr-webhooks');
});
afterAll(async () => {
  await nc?.close();
  await mesh?.stop();
  await receiver?.close();
});

describe('delivery', () => {
  it('delivers a signed event that standardwebhooks and openai webhooks.unwrap() both verify', async () => {
    const id = await complete('ok');
    const hit = await until('the webhook', () => receiver.on('/ok').find((h) => JSON.parse(h.body).data.id === id));
    const headers = { 'webhook-id': hit.headers['webhook-id'] as string, 'webhook-timestamp': hit.headers['webhook-timestamp'] as string, 'webhook-signature': hit.headers['webhook-signature'] as string };
    const event = new Webhook(secrets.ok).verify(hit.body, headers) as any;
    expect(event).toEqual({
      id: webhookEventId(id, 'completed'), object: 'event', type: 'request.completed', created_at: expect.any(Number),
      data: { id, object: 'request', status: 'completed', api: 'chat' },
    });
    expect(headers['webhook-id']).toBe(event.id);
    const unwrapped = await new OpenAI({ apiKey: 'unused', webhookSecret: secrets.ok }).webhooks.unwrap(hit.body, headers);
    expect(unwrapped).toEqual(event);
    await expect(new OpenAI({ apiKey: 'unused', webhookSecret: secret() }).webhooks.unwrap(hit.body, headers)).rejects.toThrow();
    expect(() => new Webhook(secrets.ok).verify(hit.body.replace('completed', 'failed'), headers)).toThrow();
    const d = await until('the delivery record', async () => (await delivery(kv, 'ok', `${receiver.url}/ok`, id))?.state === 'delivered' && delivery(kv, 'ok', `${receiver.url}/ok`, id));
    expect(d).toMatchObject({ type: 'request.completed', request_id: id, tenant: 'ok', attempts: [{ status: 200 }] });
  });

  it("a Responses request is told with OpenAI's event name, and unwraps as OpenAI's event", async () => {
    const id = await complete('ok', mesh.url, '/v1/responses', { model: 'mock-1', input: 'hook' });
    const hit = await until('the webhook', () => receiver.on('/ok').find((h) => JSON.parse(h.body).data.id === id));
    const event = await new OpenAI({ apiKey: 'unused', webhookSecret: secrets.ok }).webhooks.unwrap(hit.body, hit.headers as Record<string, string>);
    expect(event).toEqual({ id: webhookEventId(id, 'completed'), object: 'event', type: 'response.completed', created_at: expect.any(Number), data: { id } });
  });

  it("a cancelled request is told too, and only to its own tenant's endpoint", async () => {
    const res = await post(`${mesh.url}/v1/chat/completions`, { model: 'mock-1', wait: false, messages: user('x'), metadata: { mock_latency_ms: '3000' } }, { authorization: `Bearer ${keyOf('ok')}` });
    const { id } = await res.json();
    await fetch(`${mesh.url}/v1/requests/${id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${keyOf('ok')}` } });
    const hit = await until('the webhook', () => receiver.on('/ok').find((h) => JSON.parse(h.body).data.id === id));
    expect(JSON.parse(hit.body).type).toBe('request.cancelled');
    expect(receiver.hits.filter((h) => h.path !== '/ok' && h.body.includes(id))).toEqual([]);
  });
});

describe('retries', () => {
  it('retries after a 500, then delivers, with the same event id; every attempt recorded', async () => {
    receiver.scripts.set('/flaky', [{ status: 500 }, { status: 500 }, { status: 200 }]);
    const id = await complete('flaky');
    const d = await until('delivered', async () => ((await delivery(kv, 'flaky', `${receiver.url}/flaky`, id))?.state === 'delivered' ? delivery(kv, 'flaky', `${receiver.url}/flaky`, id) : null));
    expect(d.attempts.map((a: any) => a.status)).toEqual([500, 500, 200]);
    const hits = receiver.on('/flaky').filter((h) => h.body.includes(id));
    expect(hits).toHaveLength(3);
    expect(new Set(hits.map((h) => h.headers['webhook-id']))).toEqual(new Set([webhookEventId(id, 'completed')]));
    const metrics = `${mesh.apps.find((a) => a.app === 'adapters')!.url}/metrics`;
    expect(await metricValue(metrics, 'reqrun_webhook_attempts_total', { tenant: 'flaky', outcome: 'retrying' })).toBe(2);
    expect(await metricValue(metrics, 'reqrun_webhook_attempts_total', { tenant: 'flaky', outcome: 'delivered' })).toBe(1);
  });

  it("honours the receiver's retry-after", async () => {
    receiver.scripts.set('/later', [{ status: 503, headers: { 'retry-after': '2' } }, { status: 200 }]);
    const id = await complete('later');
    const d = await until('delivered', async () => ((await delivery(kv, 'later', `${receiver.url}/later`, id))?.state === 'delivered' ? delivery(kv, 'later', `${receiver.url}/later`, id) : null));
    expect(d.attempts).toMatchObject([{ status: 503, retry_after_ms: 2000 }, { status: 200 }]);
    // The backoff alone would be 300 ms: the second attempt waited for the receiver's 2 s.
    expect(d.attempts[1].at - d.attempts[0].at).toBeGreaterThanOrEqual(2000);
    const [first, second] = receiver.on('/later').filter((h) => h.body.includes(id));
    expect(second.at - first.at).toBeGreaterThanOrEqual(2000);
  });

  it('a 410 disables the endpoint: recorded in the bucket, and later events are not sent', async () => {
    receiver.scripts.set('/gone', [{ status: 410 }]);
    const first = await complete('gone');
    await until('disabled', async () => (await delivery(kv, 'gone', `${receiver.url}/gone`, first))?.state === 'disabled');
    const endpoint = (await kv.get(`endpoint.${webhookEndpointKey('gone', `${receiver.url}/gone`)}`))?.json<any>();
    expect(endpoint).toMatchObject({ tenant: 'gone', url: `${receiver.url}/gone`, event_id: webhookEventId(first, 'completed') });
    const second = await complete('gone');
    const d = await until('settled', async () => ((await delivery(kv, 'gone', `${receiver.url}/gone`, second))?.state === 'disabled' ? delivery(kv, 'gone', `${receiver.url}/gone`, second) : null));
    expect(d.attempts).toEqual([]);
    expect(receiver.on('/gone')).toHaveLength(1);
  });

  it('a restart of the adapters mid-retry still delivers, once', async () => {
    receiver.scripts.set('/restart', [{ status: 500 }]);
    const id = await complete('restart');
    await until('a failed attempt', async () => (await delivery(kv, 'restart', `${receiver.url}/restart`, id))?.attempts.length >= 1);
    const adapters = mesh.apps.find((a) => a.app === 'adapters')!;
    await adapters.kill('SIGKILL');
    // A retry the adapters sent just before they died may still be on its way in: count it with the failures.
    let failedBefore = -1;
    for (let seen = receiver.on('/restart').length; seen !== failedBefore; seen = receiver.on('/restart').length) {
      failedBefore = seen;
      await new Promise((r) => setTimeout(r, 300));
    }
    receiver.scripts.set('/restart', [{ status: 200 }]);
    await adapters.restart();
    const d = await until('delivered', async () => ((await delivery(kv, 'restart', `${receiver.url}/restart`, id))?.state === 'delivered' ? delivery(kv, 'restart', `${receiver.url}/restart`, id) : null));
    expect(d.attempts.at(-1).status).toBe(200);
    expect(d.attempts.slice(0, -1).every((a: any) => a.status === 500)).toBe(true);
    const hits = receiver.on('/restart').map((h) => ({ at: h.at, status: h.status }));
    // Once: one 2xx, the only request after the restart (the failures before it are the script's).
    expect({ delivered: hits.filter((h) => h.status === 200).length, after: hits.length - failedBefore, hits, attempts: d.attempts }).toMatchObject({ delivered: 1, after: 1 });
  });
});

describe('private addresses', () => {
  it('are refused unless webhooks.allow_private, by the address the name resolves to', async () => {
    const s = secret();
    const mesh2 = await startMesh({
      env: { WH_SECRET_LOOPBACK: s, WH_SECRET_NAMED: s },
      config: meshConfig({}, [{ name: 'loopback', url: `${receiver.url}/private-ip` }, { name: 'named', url: `${receiver.url.replace('127.0.0.1', 'localhost')}/private-name` }]),
    });
    try {
      const nc2 = await connect({ servers: mesh2.nats.url });
      try {
        const kv2 = await new Kvm(nc2).open('rr-webhooks');
        const a = await complete('loopback', mesh2.url);
        const b = await complete('named', mesh2.url);
        const da = await until('refused', async () => ((await delivery(kv2, 'loopback', `${receiver.url}/private-ip`, a))?.state === 'refused' ? delivery(kv2, 'loopback', `${receiver.url}/private-ip`, a) : null));
        const named = `${receiver.url.replace('127.0.0.1', 'localhost')}/private-name`;
        const db = await until('refused', async () => ((await delivery(kv2, 'named', named, b))?.state === 'refused' ? delivery(kv2, 'named', named, b) : null));
        expect(da.attempts).toMatchObject([{ error: expect.stringMatching(/^refused: 127\.0\.0\.1 is a private/) }]);
        expect(db.attempts).toMatchObject([{ error: expect.stringMatching(/^refused: (127\.0\.0\.1|::1) is a private/) }]);
        expect(receiver.hits.filter((h) => h.path.startsWith('/private'))).toEqual([]);
      } finally {
        await nc2.close();
      }
    } finally {
      await mesh2.stop();
    }
  });
});

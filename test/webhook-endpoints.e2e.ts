import { createHash, randomBytes } from 'node:crypto';
import { Kvm, type KV } from '@nats-io/kv';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { names, webhookEndpointKey, webhookEventId } from '@reqrun/contracts';
import { startMesh, type Mesh } from '@reqrun/testing';
import { Webhook } from 'standardwebhooks';
import { get, post } from './support/records.js';
import { Receiver } from './support/webhook-receiver.js';
import { until } from './support/within.js';

/**
 * A tenant's own view of its webhook endpoints, through the running mesh and a real receiver on 127.0.0.1: an
 * endpoint that answers 410 shows as disabled in `GET /v1/webhooks` (with the event that did it) and gets nothing
 * more; `POST /v1/webhooks/{id}/enable` brings it back and the next event is delivered, signed; what was skipped
 * meanwhile is not re-sent. Another tenant's endpoint, an unknown or a malformed id is a 404, over HTTP and NATS.
 */
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const keyOf = (t: string) => `rr-e2e-webhook-endpoints-${t}-9b41d6e3`;
const auth = (t: string) => ({ authorization: `Bearer ${keyOf(t)}` });
const secret = `whsec_${randomBytes(24).toString('base64')}`;

let mesh: Mesh;
let receiver: Receiver;
let nc: NatsConnection;
let kv: KV;
let alphaUrl: string;
let betaUrl: string;
let alphaId: string;
let betaId: string;

beforeAll(async () => {
  receiver = new Receiver();
  await receiver.start();
  alphaUrl = `${receiver.url}/alpha`;
  betaUrl = `${receiver.url}/beta`;
  alphaId = webhookEndpointKey('alpha', alphaUrl);
  betaId = webhookEndpointKey('beta', betaUrl);
  mesh = await startMesh({
    env: { WH_SECRET_ALPHA: secret, WH_SECRET_BETA: secret },
    config: {
      nats: { ack_wait_ms: 2000 },
      wait: { default_s: 10, max_s: 30, sync_s: 30 },
      providers: [{ name: 'mock', type: 'mock' }],
      models: { 'mock-1': { targets: [{ provider: 'mock' }] } },
      webhooks: { allow_private: true, base_delay_ms: 300, max_delay_ms: 5000, max_age_s: 120, timeout_ms: 2000 },
      tenants: [
        { name: 'alpha', keys: [{ sha256: sha256(keyOf('alpha')) }], webhooks: [{ url: alphaUrl, secret_env: 'WH_SECRET_ALPHA' }] },
        { name: 'beta', keys: [{ sha256: sha256(keyOf('beta')) }], webhooks: [{ url: betaUrl, secret_env: 'WH_SECRET_BETA', events: ['request.failed'] }] },
        { name: 'plain', keys: [{ sha256: sha256(keyOf('plain')) }] },
      ],
    },
  });
  nc = await connect({ servers: mesh.nats.url });
  kv = await new Kvm(nc).open('rr-webhooks');
});
afterAll(async () => {
  await nc?.close();
  await mesh?.stop();
  await receiver?.close();
});

/** A synchronous chat request for alpha; its id. */
async function complete(): Promise<string> {
  const res = await post(`${mesh.url}/v1/chat/completions`, { model: 'mock-1', messages: [{ role: 'user', content: 'hook' }] }, auth('alpha'));
  expect(res.status).toBe(200);
  return (await res.json()).id;
}

const list = async (tenant: string) => {
  const res = await get(`${mesh.url}/v1/webhooks`, auth(tenant));
  expect(res.status).toBe(200);
  return res.json();
};
const enable = (tenant: string, id: string) => fetch(`${mesh.url}/v1/webhooks/${id}/enable`, { method: 'POST', headers: auth(tenant) });
const delivery = async (id: string): Promise<any> => (await kv.get(`delivery.${webhookEventId(id, 'completed')}.${alphaId}`))?.json();

const enabledAlpha = () => ({ object: 'webhook_endpoint', id: alphaId, url: alphaUrl, events: null, status: 'enabled' });
const notFoundBody = (id: string) => ({ error: { message: `No webhook endpoint found with id '${id}'.`, type: 'invalid_request_error', param: null, code: 'not_found' } });

/** One request/reply on the NATS-native API. */
async function call(verb: 'list_webhooks' | 'enable_webhook', payload: unknown, tenant: string): Promise<{ status: number; body: any }> {
  const h = natsHeaders();
  h.set('Authorization', `Bearer ${keyOf(tenant)}`);
  return (await nc.request(names('rr').api(verb), JSON.stringify(payload), { timeout: 10_000, headers: h })).json();
}

describe('GET /v1/webhooks', () => {
  it("lists the caller's endpoints only, enabled, without their secrets", async () => {
    const alpha = await list('alpha');
    expect(alpha).toEqual({ object: 'list', data: [enabledAlpha()] });
    expect(await list('beta')).toEqual({ object: 'list', data: [{ object: 'webhook_endpoint', id: betaId, url: betaUrl, events: ['request.failed'], status: 'enabled' }] });
    expect(await list('plain')).toEqual({ object: 'list', data: [] });
    expect(JSON.stringify(alpha)).not.toMatch(/secret|whsec_/i);
    expect((await get(`${mesh.url}/v1/webhooks`)).status).toBe(401);
  });
});

describe('a 410, then enabled again', () => {
  let first: string;
  let second: string;
  const disabledSince = Math.floor(Date.now() / 1000);

  it('shows the endpoint disabled, with the event it answered 410 to', async () => {
    receiver.scripts.set('/alpha', [{ status: 410 }]);
    first = await complete();
    const shown = await until('disabled in the list', async () => ((await list('alpha')).data[0].status === 'disabled' ? (await list('alpha')).data[0] : null));
    expect(shown).toEqual({
      ...enabledAlpha(), status: 'disabled',
      disabled_at: expect.any(Number), disabled_reason: 'the endpoint answered 410 Gone', disabled_by_event: webhookEventId(first, 'completed'),
    });
    expect(shown.disabled_at).toBeGreaterThanOrEqual(disabledSince);
    expect(shown.disabled_at).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    expect(receiver.on('/alpha')).toHaveLength(1);
  });

  it('records the next event disabled, and does not send it', async () => {
    second = await complete();
    const d = await until('settled', async () => ((await delivery(second))?.state === 'disabled' ? delivery(second) : null));
    expect(d.attempts).toEqual([]);
    expect(receiver.on('/alpha')).toHaveLength(1);
  });

  it("another tenant can neither see nor enable it: the same 404 as an unknown id, and it stays disabled", async () => {
    expect((await list('beta')).data.map((e: any) => e.id)).toEqual([betaId]);
    const res = await enable('beta', alphaId);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual(notFoundBody(alphaId));
    const nats = await call('enable_webhook', { id: alphaId }, 'beta');
    expect(nats).toEqual({ status: 404, headers: {}, body: notFoundBody(alphaId) });
    expect((await list('alpha')).data[0].status).toBe('disabled');
  });

  it('enabling answers the endpoint enabled, and enabling it again is the same 200', async () => {
    receiver.scripts.set('/alpha', [{ status: 200 }]);
    const res = await enable('alpha', alphaId);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(enabledAlpha());
    expect(await list('alpha')).toEqual({ object: 'list', data: [enabledAlpha()] });
    const again = await enable('alpha', alphaId);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(enabledAlpha());
  });

  it('delivers the next event, signed; the one skipped while disabled is not re-sent', async () => {
    const third = await complete();
    const hit = await until('the webhook', () => receiver.on('/alpha').find((h) => JSON.parse(h.body).data.id === third), 30_000);
    const event = new Webhook(secret).verify(hit.body, hit.headers as Record<string, string>) as any;
    expect(event).toMatchObject({ id: webhookEventId(third, 'completed'), type: 'request.completed', data: { id: third, status: 'completed' } });
    await until('delivered', async () => (await delivery(third))?.state === 'delivered');
    expect((await delivery(second)).state).toBe('disabled');
    expect(receiver.on('/alpha').filter((h) => h.body.includes(second))).toEqual([]);
    expect(receiver.on('/alpha').filter((h) => h.body.includes(first))).toHaveLength(1);
  });
});

describe('POST /v1/webhooks/{id}/enable', () => {
  it('is a 404 for an unknown or malformed id, never a 5xx', async () => {
    for (const id of ['0123456789abcdef', alphaId.slice(0, 15), `${alphaId}0`, 'nope', 'x'.repeat(300), '%2E%2E', 'rr_01']) {
      const res = await enable('alpha', id);
      expect({ id, status: res.status }).toEqual({ id, status: 404 });
      expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'not_found', param: null } });
    }
    expect((await enable('plain', alphaId)).status).toBe(404);
    expect((await fetch(`${mesh.url}/v1/webhooks/${alphaId}/enable`, { method: 'POST' })).status).toBe(401);
  });
});

describe('NATS-native API', () => {
  it('list_webhooks and enable_webhook answer as HTTP does', async () => {
    expect(await call('list_webhooks', {}, 'alpha')).toEqual({ status: 200, headers: {}, body: await list('alpha') });
    expect(await call('enable_webhook', { id: alphaId }, 'alpha')).toEqual({ status: 200, headers: {}, body: enabledAlpha() });
    expect(await call('enable_webhook', { id: 'nope' }, 'alpha')).toEqual({ status: 404, headers: {}, body: notFoundBody('nope') });
    expect(await call('enable_webhook', {}, 'alpha')).toMatchObject({ status: 400, body: { error: { param: 'id', code: 'invalid_request_error' } } });
  });
});

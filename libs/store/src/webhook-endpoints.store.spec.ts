import type { NatsConnection } from '@nats-io/nats-core';
import { webhookEndpointKey } from '@reqrun/contracts';
import type { Buckets } from '@reqrun/messaging';
import { startLayout, stopLayout, type NatsServer } from '@reqrun/testing';
import { disabledEndpointKey, WebhookEndpointStore, type DisabledEndpoint } from './webhook-endpoints.store.js';

let nats: NatsServer;
let nc: NatsConnection;
let buckets: Buckets;

beforeAll(async () => ({ nats, nc, buckets } = await startLayout('w')));
afterAll(() => stopLayout(nc, nats));

const mark = (tenant: string, url: string): DisabledEndpoint => ({ tenant, url, disabled_at: 1_795_440_080_120, reason: 'the endpoint answered 410 Gone', event_id: 'evt_1' });

describe('WebhookEndpointStore', () => {
  it('disables an endpoint under endpoint.<id>, and enabling removes the mark; other endpoints are untouched', async () => {
    const store = new WebhookEndpointStore(buckets.webhooks);
    const a = webhookEndpointKey('team-a', 'https://a.example/hook');
    const b = webhookEndpointKey('team-b', 'https://a.example/hook');
    expect(await store.isDisabled(a)).toBe(false);
    expect(await store.disabled(a)).toBeNull();

    await store.disable(a, mark('team-a', 'https://a.example/hook'));
    await store.disable(b, mark('team-b', 'https://a.example/hook'));
    expect(await store.isDisabled(a)).toBe(true);
    expect(await store.disabled(a)).toEqual(mark('team-a', 'https://a.example/hook'));
    expect((await buckets.webhooks.get(disabledEndpointKey(a)))?.json()).toEqual(mark('team-a', 'https://a.example/hook'));

    expect(await store.enable(a)).toEqual(mark('team-a', 'https://a.example/hook'));
    expect(await store.isDisabled(a)).toBe(false);
    expect(await store.disabled(a)).toBeNull();
    expect(await store.isDisabled(b)).toBe(true);
  });

  it('enabling an enabled endpoint is a no-op: null, and nothing written', async () => {
    const store = new WebhookEndpointStore(buckets.webhooks);
    const id = webhookEndpointKey('team-c', 'https://c.example/hook');
    const before = (await buckets.webhooks.status()).values;
    expect(await store.enable(id)).toBeNull();
    expect(await store.enable(id)).toBeNull();
    expect((await buckets.webhooks.status()).values).toBe(before);
  });
});

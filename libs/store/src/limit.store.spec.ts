import type { NatsConnection } from '@nats-io/nats-core';
import type { Buckets } from '@reqrun/messaging';
import { startLayout, stopLayout, type NatsServer } from '@reqrun/testing';
import { LimitStore } from './limit.store.js';

let nats: NatsServer;
let nc: NatsConnection;
let buckets: Buckets;
const now = 10_000;
const clock = { now: () => now };
const ask = (id: string, tokens = 0) => ({ id, tokens, leaseMs: 60_000, share: 1 });

beforeAll(async () => ({ nats, nc, buckets } = await startLayout('l')));
afterAll(() => stopLayout(nc, nats));

describe('LimitStore', () => {
  it('two schedulers racing for the same limit take exactly the limit between them (compare-and-set)', async () => {
    const replicas = [new LimitStore(buckets.limits, clock), new LimitStore(buckets.limits, clock)];
    const spec = { rpm: 20, period_s: 1 };
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => replicas[i % 2].reserve('provider.p', spec, ask(`r${i}`))));
    expect(results.filter((r) => r.ok).length).toBe(20);
    expect((await replicas[0].read('provider.p')).slots.reduce((n, s) => n + s[1], 0)).toBe(20);
  });

  it('concurrent token reservations never sum past tpm; settling with the real usage frees the rest', async () => {
    const replicas = [new LimitStore(buckets.limits, clock), new LimitStore(buckets.limits, clock)];
    const spec = { tpm: 1000, period_s: 60 };
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => replicas[i % 2].reserve('tenant.t', spec, ask(`t${i}`, 105))));
    const taken = results.flatMap((r, i) => (r.ok ? [{ i, slot: r.slot }] : []));
    expect(taken.length).toBe(9);
    // each used 5 tokens, not 105
    await Promise.all(taken.map(({ i, slot }) => replicas[i % 2].settle('tenant.t', spec, { id: `t${i}`, slot, requests: 0, tokens: 5 - 105 })));
    expect((await replicas[0].read('tenant.t')).slots.reduce((n, s) => n + s[2], 0)).toBe(45);
    expect((await replicas[1].reserve('tenant.t', spec, ask('after', 900))).ok).toBe(true);
  });

  it('concurrency leases: released by the settle, so the next one runs', async () => {
    const sut = new LimitStore(buckets.limits, clock);
    const spec = { concurrency: 1 };
    const a = await sut.reserve('provider.c', spec, ask('a'));
    expect(a.ok).toBe(true);
    expect((await sut.reserve('provider.c', spec, ask('b'))).ok).toBe(false);
    await sut.settle('provider.c', spec, { id: 'a', slot: a.ok ? a.slot : 0, requests: 0, tokens: 0 });
    expect((await sut.reserve('provider.c', spec, ask('b'))).ok).toBe(true);
  });
});

import type { NatsConnection } from '@nats-io/nats-core';
import { Status, type RequestRecord } from '@reqrun/contracts';
import type { Buckets } from '@reqrun/messaging';
import { startLayout, stopLayout, type NatsServer } from '@reqrun/testing';
import { IdempotencyStore } from './idempotency.store.js';
import { RequestStore } from './request.store.js';

let nats: NatsServer;
let nc: NatsConnection;
let buckets: Buckets;
let clock = 1000;
const record = (id: string, tenant = 'a'): RequestRecord => ({
  id, tenant, api: 'chat', model: 'm', window: 'asap', status: Status.Queued, body: { model: 'm' },
  created_at: 0, updated_at: 0, attempts: 0, history: [],
});
const id = (n: number) => `rr_01J0000000000000000000000${n}`;

beforeAll(async () => ({ nats, nc, buckets } = await startLayout('t')));
afterAll(() => stopLayout(nc, nats));

describe('RequestStore', () => {
  const sut = () => new RequestStore(buckets.requests, { now: () => clock++ });

  it('creates a record once; a second create of the same id is refused', async () => {
    expect(await sut().create(record(id(1)))).toBeGreaterThan(0);
    expect(await sut().create({ ...record(id(1)), model: 'other' })).toBe(0);
    expect((await sut().get('a', id(1)))!.model).toBe('m');
  });

  it("hides another tenant's record", async () => {
    await sut().create(record(id(2), 'a'));
    expect(await sut().get('b', id(2))).toBeNull();
    expect(await sut().transition('b', id(2), { type: 'cancel' })).toBeNull();
  });

  it("deletes a record for its own tenant only; it is then gone, and its id can be created again", async () => {
    await sut().create(record(id(7), 'a'));
    expect(await sut().delete('b', id(7))).toBeNull();
    expect(await sut().delete('a', id(7))).toMatchObject({ id: id(7), tenant: 'a' });
    expect(await sut().get('a', id(7))).toBeNull();
    expect(await sut().delete('a', id(7))).toBeNull();
    expect(await sut().transition('a', id(7), { type: 'cancel' })).toBeNull();
    expect(await sut().create(record(id(7), 'a'))).toBeGreaterThan(0);
  });

  it('abandons only where no record ever was: not over a record, nor over a deleted one', async () => {
    const failed = { ...record(id(8)), status: Status.Failed };
    expect(await sut().abandon(failed)).toBe('written');
    expect(await sut().create(record(id(8)))).toBe(0); // the ingress that comes back late cannot store its record
    expect((await sut().get('a', id(8)))!.status).toBe('failed');
    await sut().create(record(id(9)));
    expect(await sut().abandon({ ...record(id(9)), status: Status.Failed })).toBe('exists');
    expect((await sut().get('a', id(9)))!.status).toBe('queued');
    await sut().delete('a', id(9));
    expect(await sut().abandon({ ...record(id(9)), status: Status.Failed })).toBe('gone');
    expect(await sut().get('a', id(9))).toBeNull();
  });

  it('lets exactly one of 20 racing starts win; the losers see the winner\'s state', async () => {
    await sut().create(record(id(3)));
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => sut().transition('a', id(3), { type: 'start', attempt: 1, provider: `p${i}`, provider_model: 'm' })),
    );
    expect(results.filter((r) => r!.changed)).toHaveLength(1);
    const stored = await sut().get('a', id(3));
    expect(stored).toMatchObject({ status: 'in_progress', attempts: 1 });
    expect(stored!.history).toHaveLength(1);
    for (const r of results) expect(r!.record.status).toBe('in_progress');
  });

  it('applies concurrent cancel and success so that exactly one terminal state sticks', async () => {
    await sut().create(record(id(4)));
    await sut().transition('a', id(4), { type: 'start', attempt: 1, provider: 'p', provider_model: 'm' });
    const usage = { input_tokens: 1, output_tokens: 1, total_tokens: 2 };
    const [a, b] = await Promise.all([
      sut().transition('a', id(4), { type: 'cancel' }),
      sut().transition('a', id(4), { type: 'succeed', attempt: 1, result: {}, usage }),
    ]);
    expect([a!.changed, b!.changed].filter(Boolean)).toHaveLength(1);
    const final = (await sut().get('a', id(4)))!;
    expect(final.status).toBe(a!.changed ? 'cancelled' : 'completed');
  });

  it('refuses a record larger than NATS max_payload with a 413, writing nothing', async () => {
    const big = { ...record(id(5)), body: { text: 'x'.repeat(9 * 1024 * 1024) } };
    await expect(sut().create(big)).rejects.toMatchObject({ status: 413, code: 'request_too_large' });
    expect(await sut().get('a', id(5))).toBeNull();
  });
});

describe('IdempotencyStore', () => {
  it('gives a key to the first of many concurrent claimers and tells the rest whose it is', async () => {
    const sut = new IdempotencyStore(buckets.idempotency);
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => sut.claim('a', 'key-1', { id: `rr_${i}`, fingerprint: 'f' })));
    const winners = results.filter((r) => r.won);
    expect(winners).toHaveLength(1);
    const owner = new Set(results.flatMap((r) => (r.won ? [] : [r.existing.id])));
    expect(owner.size).toBe(1);
  });

  it('scopes keys by tenant', async () => {
    const sut = new IdempotencyStore(buckets.idempotency);
    expect((await sut.claim('a', 'shared', { id: 'rr_a', fingerprint: 'f' })).won).toBe(true);
    expect((await sut.claim('b', 'shared', { id: 'rr_b', fingerprint: 'f' })).won).toBe(true);
  });
});

import type { NatsConnection } from '@nats-io/nats-core';
import type { Buckets } from '@reqrun/messaging';
import { startLayout, stopLayout, type NatsServer } from '@reqrun/testing';
import { BATCH_ID_PATTERN, BatchStore, derivedId, MESSAGE_BATCH_ID_PATTERN, newBatchId, type BatchRecord } from './batch.store.js';

let nats: NatsServer;
let nc: NatsConnection;
let buckets: Buckets;

beforeAll(async () => ({ nats, nc, buckets } = await startLayout('t')));
afterAll(() => stopLayout(nc, nats));

const batch = (tenant: string, at: number, prefix: 'batch_' | 'msgbatch_' = 'batch_'): BatchRecord => ({
  id: newBatchId(at, prefix), tenant, endpoint: '/v1/chat/completions', input_file_id: `file-${'a'.repeat(24)}`, completion_window: '24h', metadata: null,
  status: 'validating', created_at: at, expires_at: at + 86_400_000, request_counts: { total: 0, completed: 0, failed: 0 }, chunks: 0, settled: [],
});

describe('BatchStore', () => {
  const sut = () => new BatchStore(buckets.batches);

  it('makes OpenAI-shaped ids that sort by creation time, and derived names that repeat', () => {
    const [a, b] = [newBatchId(1_700_000_000_000), newBatchId(1_700_000_000_001)];
    expect(a).toMatch(BATCH_ID_PATTERN);
    expect(a < b).toBe(true);
    expect(derivedId(a, 'output')).toBe(derivedId(a, 'output'));
    expect(derivedId(a, 'output')).not.toBe(derivedId(a, 'error'));
  });

  it('stores a batch once, for its tenant only; a malformed id is absent', async () => {
    const b = batch('a', Date.now());
    expect(await sut().create(b)).toBe(true);
    expect(await sut().create({ ...b, status: 'failed' })).toBe(false);
    expect(await sut().get('a', b.id)).toEqual(b);
    expect(await sut().get('b', b.id)).toBeNull();
    expect(await sut().get('a', 'batch_../x')).toBeNull();
  });

  it('changes a batch by compare-and-set: concurrent changes all land, none undone', async () => {
    const b = batch('a', Date.now());
    await sut().create(b);
    await Promise.all(Array.from({ length: 5 }, () => sut().change('a', b.id, (cur) => ({ ...cur, chunks: cur.chunks + 1 }))));
    await sut().change('a', b.id, (cur) => ({ ...cur, status: 'cancelling' }));
    expect(await sut().change('a', b.id, () => undefined)).toMatchObject({ status: 'cancelling', chunks: 5 });
    expect(await sut().change('b', b.id, (cur) => cur)).toBeNull();
  });

  it('lists a tenant\'s batches newest first, in pages', async () => {
    const t0 = Date.now() - 10_000;
    const mine = [0, 1, 2, 3, 4].map((i) => batch('lister', t0 + i));
    for (const b of mine) await sut().create(b);
    await sut().create(batch('other', t0 + 9));
    await sut().putChunk('lister', mine[0].id, 0, [{ c: 'x', id: 'rr_1' }]); // chunk keys are not batches
    const ids = mine.map((b) => b.id).reverse();
    const pattern = BATCH_ID_PATTERN;
    const p1 = await sut().list('lister', { pattern, limit: 2 });
    expect(p1.data.map((b) => b.id)).toEqual(ids.slice(0, 2));
    expect(p1.has_more).toBe(true);
    const p3 = await sut().list('lister', { pattern, limit: 2, after: ids[3] });
    expect(p3).toEqual({ data: [mine[0]], has_more: false });
  });

  it("lists one kind of batch only, pages back with 'before', and skips deleted ones", async () => {
    const t0 = Date.now() - 10_000;
    const msg = [0, 1, 2, 3, 4].map((i) => batch('kinds', t0 + i, 'msgbatch_'));
    for (const b of [...msg, batch('kinds', t0 + 5)]) await sut().create(b);
    expect(msg[0].id).toMatch(MESSAGE_BATCH_ID_PATTERN);
    expect(await sut().get('kinds', msg[0].id)).toEqual(msg[0]);
    const newestFirst = msg.map((b) => b.id).reverse();
    const pattern = MESSAGE_BATCH_ID_PATTERN;
    expect((await sut().list('kinds', { pattern, limit: 10 })).data.map((b) => b.id)).toEqual(newestFirst);
    const back = await sut().list('kinds', { pattern, limit: 2, before: newestFirst[3] });
    expect({ ids: back.data.map((b) => b.id), more: back.has_more }).toEqual({ ids: newestFirst.slice(1, 3), more: true });
    await sut().change('kinds', msg[3].id, (cur) => ({ ...cur, status: 'completed', deleted_at: Date.now() }));
    const after = await sut().list('kinds', { pattern, limit: 2, after: newestFirst[0] });
    expect({ ids: after.data.map((b) => b.id), more: after.has_more }).toEqual({ ids: [newestFirst[2], newestFirst[3]], more: true });
  });

  it('keeps a chunk of line entries', async () => {
    const b = batch('a', Date.now());
    const lines = [{ c: 'one', id: 'rr_x' }, { c: 'two', error: { status: 404, code: 'model_not_found', message: 'no', param: 'model' } }];
    await sut().putChunk('a', b.id, 3, lines);
    expect(await sut().chunk('a', b.id, 3)).toEqual(lines);
    expect(await sut().chunk('a', b.id, 4)).toBeNull();
  });
});

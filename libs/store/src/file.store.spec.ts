import type { NatsConnection } from '@nats-io/nats-core';
import type { Buckets } from '@reqrun/messaging';
import { startLayout, stopLayout, type NatsServer } from '@reqrun/testing';
import { FILE_ID_PATTERN, FileStore } from './file.store.js';

let nats: NatsServer;
let nc: NatsConnection;
let buckets: Buckets;
const bytes = (s: string) => new TextEncoder().encode(s);
const text = async (c: { data: ReadableStream<Uint8Array> } | null) => (c ? new Response(c.data).text() : null);

beforeAll(async () => ({ nats, nc, buckets } = await startLayout('t')));
afterAll(() => stopLayout(nc, nats));

describe('FileStore', () => {
  const sut = () => new FileStore(buckets.files);

  it('stores a file and gives it back as a stream, to its tenant only', async () => {
    const f = await sut().put('a', { filename: 'in.jsonl', purpose: 'batch', data: bytes('{"x":1}\n{"x":2}\n') });
    expect(f).toMatchObject({ object: 'file', bytes: 16, filename: 'in.jsonl', purpose: 'batch', status: 'processed' });
    expect(f.id).toMatch(FILE_ID_PATTERN);
    expect(Math.abs(f.created_at - Date.now() / 1000)).toBeLessThan(60);
    expect(await sut().get('a', f.id)).toEqual(f);
    expect(await text(await sut().content('a', f.id))).toBe('{"x":1}\n{"x":2}\n');
    expect(await sut().get('b', f.id)).toBeNull();
    expect(await sut().content('b', f.id)).toBeNull();
    expect(await sut().delete('b', f.id)).toBe(false);
  });

  it('stores a stream of many chunks', async () => {
    const line = 'y'.repeat(1000) + '\n';
    const rs = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 300; i++) c.enqueue(bytes(line));
        c.close();
      },
    });
    const f = await sut().put('a', { filename: 'big.jsonl', purpose: 'batch', data: rs });
    expect(f.bytes).toBe(300 * 1001);
    expect((await new Response((await sut().content('a', f.id))!.data).arrayBuffer()).byteLength).toBe(300 * 1001);
  });

  it("lists a tenant's files newest first, by purpose; a deleted file is gone", async () => {
    const one = await sut().put('c', { filename: '1', purpose: 'batch', data: bytes('1') });
    const two = await sut().put('c', { filename: '2', purpose: 'batch_output', data: bytes('2') });
    await sut().put('d', { filename: 'other tenant', purpose: 'batch', data: bytes('3') });
    expect((await sut().list('c')).map((f) => f.id).sort()).toEqual([one.id, two.id].sort());
    expect((await sut().list('c', 'batch_output')).map((f) => f.id)).toEqual([two.id]);
    expect(await sut().delete('c', one.id)).toBe(true);
    expect(await sut().get('c', one.id)).toBeNull();
    expect(await sut().delete('c', one.id)).toBe(false);
    expect((await sut().list('c')).map((f) => f.id)).toEqual([two.id]);
  });

  it('stores under a given id, replacing what was there: one file, the last content', async () => {
    const id = `file-${'b'.repeat(24)}`;
    await sut().put('e', { id, filename: 'out.jsonl', purpose: 'batch_output', data: bytes('first') });
    const again = await sut().put('e', { id, filename: 'out.jsonl', purpose: 'batch_output', data: bytes('second') });
    expect(again).toMatchObject({ id, bytes: 6 });
    expect(await text(await sut().content('e', id))).toBe('second');
    expect((await sut().list('e')).map((f) => f.id)).toEqual([id]);
    await expect(sut().put('e', { id: 'file-nope', filename: 'x', purpose: 'batch', data: bytes('x') })).rejects.toThrow(/not a file id/);
  });

  it('answers a malformed id as absent', async () => {
    expect(await sut().get('a', '../etc')).toBeNull();
    expect(await sut().get('a', 'file-short')).toBeNull();
  });
});

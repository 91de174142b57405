import { buildConfig } from '@reqrun/config';
import { chunkMsgId, Status, type Chunk, type RequestRecord } from '@reqrun/contracts';
import { createLogger, Lifecycle, Nats } from '@reqrun/runtime';
import { RequestStore } from '@reqrun/store';
import { managerOf } from '@reqrun/messaging';
import { startNats, waitUntil, type NatsServer } from '@reqrun/testing';
import { canonicalToAnthropicMessage, canonicalToChatCompletion } from '@reqrun/translate';
import { cancelChunk, ChunkReader, Seen, tailOf, type StreamItem } from './chunk.reader.js';

let server: NatsServer;
let nats: Nats;
let store: RequestStore;
let sut: ChunkReader;
let n = 0;
const forever = 10 * 60_000; // a lost wake-up would hang until Jest's timeout fails the test

const newId = () => `rr_01J0000000000000000000${String(++n).padStart(4, '0')}`;
const queued = (id: string): RequestRecord => ({
  id, tenant: 't', api: 'chat', model: 'm', window: 'asap', status: Status.Queued, body: { stream: true }, created_at: 0, updated_at: 0, attempts: 0, history: [],
});
const usage = { input_tokens: 3, output_tokens: 2 };
const delta = (seq: number, text: string, attempt = 1): Chunk => ({ type: 'delta', attempt, seq, text });
const end = (seq: number, attempt = 1): Chunk => ({ type: 'end', attempt, seq, model: 'm', finish_reason: 'stop', usage });

const publish = async (id: string, ...chunks: Chunk[]) => {
  for (const c of chunks) await nats.bus.persist(nats.names.chunk(id), c, chunkMsgId(id, c));
};
const start = (id: string) => store.transition('t', id, { type: 'start', attempt: 1, provider: 'p', provider_model: 'm' });
/** Finishes a request the way the adapters do: the terminal state is stored, then the wake-up is published (unless `tell` is false). */
async function complete(id: string, text: string, tell = true): Promise<void> {
  await start(id);
  const result = canonicalToChatCompletion({ model: 'm', text, finish_reason: 'stop', usage }, { id, created: 0 });
  const t = await store.transition('t', id, { type: 'succeed', attempt: 1, result, usage: { ...usage, total_tokens: 5 } });
  if (tell) new Lifecycle(nats).changed(t!);
}
async function cancel(id: string): Promise<void> {
  const t = await store.transition('t', id, { type: 'cancel' });
  new Lifecycle(nats).changed(t!);
}
const chunksOf = async (it: AsyncIterable<StreamItem>) => {
  const out: Chunk[] = [];
  for await (const i of it) out.push(i.chunk);
  return out;
};

beforeAll(async () => {
  server = await startNats();
  const log = createLogger('test', 'silent');
  nats = await Nats.open(buildConfig({ nats: { url: server.url } }), 'test', log);
  store = new RequestStore(nats.buckets.requests, { now: () => Date.now() });
  sut = new ChunkReader(nats, store, log);
});
afterAll(async () => {
  await nats?.close();
  await server?.stop();
});

describe('ChunkReader on a real nats-server', () => {
  it('yields chunks as they are published, in order, with the time each was stored, and stops at the end chunk', async () => {
    const id = newId();
    await store.create(queued(id));
    const it = sut.read('t', id)[Symbol.asyncIterator]();
    const first = it.next();
    await publish(id, delta(0, 'Hel'));
    expect((await first).value).toEqual({ chunk: delta(0, 'Hel'), at: expect.any(Number) });
    expect(Math.abs((await first).value.at - Date.now())).toBeLessThan(60_000);
    await publish(id, delta(1, 'lo'), end(2));
    expect(await chunksOf({ [Symbol.asyncIterator]: () => it })).toEqual([delta(1, 'lo'), end(2)]);
  }, 10_000);

  it('yields thinking pieces as chunks, in order with the text (a reader before this kind skipped them)', async () => {
    const id = newId();
    await store.create(queued(id));
    const thinking: Chunk[] = [{ type: 'thinking', attempt: 1, seq: 0, index: 0, thinking: 'hm' }, { type: 'thinking', attempt: 1, seq: 1, index: 0, signature: 's' }];
    await publish(id, ...thinking, delta(2, 'Hi'), end(3));
    expect(await chunksOf(sut.read('t', id))).toEqual([...thinking, delta(2, 'Hi'), end(3)]);
  }, 10_000);

  it('reads every stored chunk before it ends a request whose wake-up came first (done before drain)', async () => {
    const id = newId();
    await store.create(queued(id));
    await publish(id, delta(0, 'a'), delta(1, 'b'));
    await complete(id, 'ab'); // terminal before the reader even starts: it must still read what the stream holds
    expect(await chunksOf(sut.read('t', id))).toEqual([delta(0, 'a'), delta(1, 'b'), end(2)]);
  }, 10_000);

  it('drains a long stream to its last stored chunk, however the consumer batches its delivery', async () => {
    const id = newId();
    await store.create(queued(id));
    const deltas = Array.from({ length: 1500 }, (_x, i) => delta(i, `${i} `));
    await Promise.all(deltas.map((c) => nats.bus.persist(nats.names.chunk(id), c, chunkMsgId(id, c))));
    await complete(id, 'the record alone');
    expect(await chunksOf(sut.read('t', id))).toEqual([...deltas, end(1500)]);
  }, 20_000);

  it('a wake-up that lands while chunks are still on their way does not cut the stream', async () => {
    const id = newId();
    await store.create(queued(id));
    const read = chunksOf(sut.read('t', id, undefined, { recheckMs: forever }));
    await publish(id, delta(0, 'x'), delta(1, 'y'));
    await complete(id, 'this text was never streamed');
    expect(await read).toEqual([delta(0, 'x'), delta(1, 'y'), end(2)]);
  }, 10_000);

  it('a request that did not stream: nothing until it is terminal, then its whole answer as one delta and its end', async () => {
    const id = newId();
    await store.create({ ...queued(id), body: {} });
    const read = chunksOf(sut.read('t', id, undefined, { recheckMs: forever }));
    await complete(id, 'Mock reply');
    expect(await read).toEqual([delta(0, 'Mock reply', 1), end(1, 1)]);
  }, 10_000);

  it('a request cancelled before any chunk: the cancellation as an error chunk', async () => {
    const id = newId();
    await store.create(queued(id));
    const read = chunksOf(sut.read('t', id, undefined, { recheckMs: forever }));
    await cancel(id);
    expect(await read).toEqual([
      { type: 'error', attempt: 0, seq: 0, error: { code: 'request_cancelled', message: `Request ${id} was cancelled.`, status: 409, retryable: false } },
    ]);
  }, 10_000);

  it("a cancel's chunk ends the stream where it stands: pieces the attempt publishes after it are never read", async () => {
    const id = newId();
    await store.create(queued(id));
    await start(id);
    await publish(id, delta(0, 'a'));
    const t = await store.transition('t', id, { type: 'cancel' });
    const stop = cancelChunk(t!.record);
    await publish(id, stop, delta(1, 'late'));
    new Lifecycle(nats).changed(t!);
    const first = await chunksOf(sut.read('t', id));
    expect(first).toEqual([delta(0, 'a'), { type: 'error', attempt: 1, seq: -1, error: { code: 'request_cancelled', message: `Request ${id} was cancelled.`, status: 409, retryable: false } }]);
    expect(await chunksOf(sut.read('t', id))).toEqual(first);
  }, 10_000);

  it('skips duplicates, chunks of another attempt, and messages that are not chunks', async () => {
    const id = newId();
    await store.create(queued(id));
    await publish(id, delta(0, 'a', 2), delta(0, 'other attempt', 3), delta(1, 'b', 2));
    await nats.bus.persist(nats.names.chunk(id), delta(1, 'b', 2), 'another msg id for the same chunk');
    nats.nc.publish(nats.names.chunk(id), 'not json'); // a stray publish on the subject is not a chunk
    await nats.bus.persist(nats.names.chunk(id), { hello: 'world' }, 'not a chunk either');
    await publish(id, end(2, 2));
    expect(await chunksOf(sut.read('t', id))).toEqual([delta(0, 'a', 2), delta(1, 'b', 2), end(2, 2)]);
  }, 10_000);

  it('finds the end by re-reading the record when the wake-up was lost', async () => {
    const id = newId();
    await store.create(queued(id));
    const read = chunksOf(sut.read('t', id, undefined, { recheckMs: 50 }));
    await complete(id, 'quiet', false);
    expect(await read).toEqual([delta(0, 'quiet'), end(1)]);
  }, 10_000);

  it('stops when the caller hangs up', async () => {
    const id = newId();
    await store.create(queued(id));
    const hangUp = new AbortController();
    const read = chunksOf(sut.read('t', id, hangUp.signal, { recheckMs: forever }));
    await publish(id, delta(0, 'a'));
    setTimeout(() => hangUp.abort(), 100);
    expect(await read).toEqual([delta(0, 'a')]);
  }, 10_000);

  it('a consumer whose creation outlasts the read (NATS stalled) is stopped when it comes, not left pulling', async () => {
    const id = newId();
    await store.create(queued(id));
    await complete(id, 'quiet');
    // The server stalls right after the reader's first look at the record, so its consumer comes only after a period.
    class StallAfterFirstRead extends RequestStore {
      private stalled = false;
      override async get(tenant: string, rid: string): Promise<RequestRecord | null> {
        const r = await super.get(tenant, rid);
        if (!this.stalled) {
          this.stalled = true;
          process.kill(server.pid, 'SIGSTOP');
        }
        return r;
      }
    }
    const subscriptions = () => (nats.nc as unknown as { protocol: { subscriptions: { size(): number } } }).protocol.subscriptions.size();
    const before = subscriptions();
    const reader = new ChunkReader(nats, new StallAfterFirstRead(nats.buckets.requests, { now: () => Date.now() }), createLogger('test', 'silent'));
    const read = chunksOf(reader.read('t', id, undefined, { recheckMs: 200 }));
    try {
      await new Promise((r) => setTimeout(r, 1000)); // the consumer's creation lost its race; the reader waits on NATS
    } finally {
      process.kill(server.pid, 'SIGCONT');
    }
    // The read ends from the record (one round trip) while its consumer is still being made (two).
    expect(await read).toEqual([delta(0, 'quiet'), end(1)]);
    const jsm = await managerOf(nats.nc);
    const made = async () => (await jsm.consumers.list(nats.names.chunksStream).next()).some((c) => c.config.filter_subject === nats.names.chunk(id));
    await waitUntil(made, { timeoutMs: 10_000, what: 'the late consumer' });
    await new Promise((r) => setTimeout(r, 500)); // the late follow settles
    expect(subscriptions()).toBe(before);
  }, 30_000);

  it('a consumer that cannot be made (the chunks stream gone for a moment) is made again at the next recheck', async () => {
    const id = newId();
    await store.create(queued(id));
    const jsm = await managerOf(nats.nc);
    const config = (await jsm.streams.info(nats.names.chunksStream)).config;
    await jsm.streams.delete(nats.names.chunksStream); // consumers.get fails at once: "stream not found"
    try {
      const read = chunksOf(sut.read('t', id, undefined, { recheckMs: 300 }));
      await new Promise((r) => setTimeout(r, 100)); // the read's first follow has failed
      await jsm.streams.add(config);
      await publish(id, delta(0, 'still '), delta(1, 'here'), end(2));
      expect(await read).toEqual([delta(0, 'still '), delta(1, 'here'), end(2)]);
    } finally {
      await jsm.streams.add(config).catch(() => undefined);
    }
  }, 20_000);

  it('an unknown id yields nothing', async () => {
    expect(await chunksOf(sut.read('t', newId()))).toEqual([]);
  });
});

describe('tailOf', () => {
  const id = 'rr_01J00000000000000000000000';
  const base = { ...queued(id), attempts: 2 };
  const result = canonicalToChatCompletion({ model: 'm', text: 'hi', finish_reason: 'length', usage }, { id, created: 0 });
  it.each([
    ['completed, nothing streamed: the text and the end', { status: Status.Completed, result }, {}, [
      { type: 'delta', attempt: 2, seq: 0, text: 'hi' }, { type: 'end', attempt: 2, seq: 1, model: 'm', finish_reason: 'length', usage },
    ]],
    ['completed after streamed deltas: only the end', { status: Status.Completed, result }, { attempt: 2, seq: 4, delta: true }, [
      { type: 'end', attempt: 2, seq: 5, model: 'm', finish_reason: 'length', usage },
    ]],
    ['failed: its error', { status: Status.Failed, error: { code: 'upstream_rejected', message: 'no', status: 400, retryable: false } }, {}, [
      { type: 'error', attempt: 2, seq: 0, error: { code: 'upstream_rejected', message: 'no', status: 400, retryable: false } },
    ]],
    ['expired: its error', { status: Status.Expired, error: { code: 'request_expired', message: 'late', status: 408, retryable: false } }, {}, [
      { type: 'error', attempt: 2, seq: 0, error: { code: 'request_expired', message: 'late', status: 408, retryable: false } },
    ]],
  ] as [string, Partial<RequestRecord>, Partial<Seen>, Chunk[]][])('%s', (_n, change, seen, want) => {
    expect(tailOf({ ...base, ...change }, { seq: -1, delta: false, ...seen })).toEqual(want);
  });

  it('a completed Messages answer with thinking, nothing streamed: its thinking rides on the one delta, even with no text', () => {
    const thinking = [{ type: 'thinking' as const, thinking: 'hm', signature: 's' }];
    const calls = [{ id: 'toolu_1', name: 'f', arguments: '{}' }];
    const message = canonicalToAnthropicMessage({ model: 'm', text: '', thinking, tool_calls: calls, finish_reason: 'tool_calls', usage }, { id, created: 0 });
    expect(tailOf({ ...base, api: 'messages', status: Status.Completed, result: message }, { seq: -1, delta: false })).toEqual([
      { type: 'delta', attempt: 2, seq: 0, text: '', thinking },
      { type: 'end', attempt: 2, seq: 1, model: 'm', finish_reason: 'tool_calls', usage, tool_calls: calls },
    ]);
  });

  it('a thinking piece counts as a piece passed on: the record adds only the end, not its thinking and text again', () => {
    const s = new Seen();
    expect(s.accepts({ type: 'thinking', attempt: 2, seq: 0, index: 0, thinking: 'hm' })).toBe(true);
    expect(s.delta).toBe(true);
    const thinking = [{ type: 'thinking' as const, thinking: 'hm', signature: 's' }];
    const message = canonicalToAnthropicMessage({ model: 'm', text: 'hi', thinking, finish_reason: 'stop', usage }, { id, created: 0 });
    expect(tailOf({ ...base, api: 'messages', status: Status.Completed, result: message }, s)).toEqual([{ type: 'end', attempt: 2, seq: 1, model: 'm', finish_reason: 'stop', usage }]);
  });

  it('Seen accepts one attempt, each chunk once, in order', () => {
    const s = new Seen();
    expect([delta(0, 'a', 2), delta(0, 'a', 2), delta(0, 'x', 3), delta(1, 'b', 2)].map((c) => s.accepts(c))).toEqual([true, false, false, true]);
    const error = { code: 'x', message: 'm', status: 409, retryable: false };
    expect(s.accepts({ type: 'error', attempt: 1, seq: 0, error })).toBe(false); // an earlier attempt's, written late
    expect(s.accepts({ type: 'error', attempt: 2, seq: -1, error })).toBe(true);
    expect(new Seen().accepts({ type: 'error', attempt: 1, seq: 0, error })).toBe(true); // nothing read yet: it ends the stream
  });
});

import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { chunkMsgId, decide, isTerminal, msgId, names, Status, systemIds, type Api, type Chunk, type DispatchItem, type RequestRecord, type SubmitItem } from '@reqrun/contracts';
import { answer, dropMidStream, failWith, startApp, startFakeUpstream, startNats, type AppProcess, type FakeUpstream, type NatsServer } from '@reqrun/testing';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

/**
 * The adapter side of streaming, through real NATS, scheduler and adapters (no ingress: requests are stored and
 * submitted the way ingress does it): a streamed request's chunks on `rr.chunk.<id>` rebuild the stored answer, end
 * with `end`, and a request whose stream has started is never retried, whatever stops it.
 */
const n = names('rr');
let nats: NatsServer;
let dir: string;
let scheduler: AppProcess;
let adapters: AppProcess;
let openai: FakeUpstream;
let anthropic: FakeUpstream;
let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;
let kv: KV;

beforeAll(async () => {
  [nats, openai, anthropic] = await Promise.all([startNats(), startFakeUpstream({ kind: 'openai' }), startFakeUpstream({ kind: 'anthropic' })]);
  dir = await mkdtemp(join(tmpdir(), 'reqrun-stream-'));
  const configFile = join(dir, 'reqrun.yaml');
  await writeFile(configFile, stringify({
    log: { level: 'warn' },
    nats: { ack_wait_ms: 2000 },
    retry: { max_attempts: 3, base_delay_ms: 20, max_delay_ms: 100 },
    providers: [
      { name: 'mock', type: 'mock', concurrency: 16 },
      { name: 'openai', type: 'openai', base_url: openai.url, responses_api: true },
      { name: 'anthropic', type: 'anthropic', base_url: anthropic.url },
    ],
    models: {
      'mock-1': { targets: [{ provider: 'mock' }] },
      'gpt-fake': { targets: [{ provider: 'openai', model: 'gpt-up' }] },
      'claude-fake': { targets: [{ provider: 'anthropic', model: 'claude-up' }] },
    },
  }));
  [adapters, scheduler] = await Promise.all(['adapters' as const, 'scheduler' as const].map((app) => startApp({ app, natsUrl: nats.url, configFile })));
  nc = await connect({ servers: nats.url });
  js = jetstream(nc);
  jsm = await jetstreamManager(nc);
  kv = await new Kvm(nc).open(n.requestsBucket);
}, 90_000);
afterAll(async () => {
  await nc?.close();
  await Promise.allSettled([adapters?.stop(), scheduler?.stop()]);
  await Promise.allSettled([nats?.stop(), openai?.close(), anthropic?.close()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Stores the record and publishes its submission, as ingress does for an accepted request. */
async function submit(body: Record<string, unknown>, api: Api = 'chat'): Promise<string> {
  const now = Date.now();
  const r: RequestRecord = {
    id: systemIds.requestId(), tenant: 'team-s', api, model: body.model as string, window: 'asap', status: Status.Queued,
    body, created_at: now, updated_at: now, attempts: 0, history: [],
  };
  await kv.create(r.id, JSON.stringify(r));
  const item: SubmitItem = { id: r.id, tenant: r.tenant, attempt: 1, model: r.model, window: r.window, api, created_at: now };
  await js.publish(n.submit(r.window, r.tenant), JSON.stringify(item), { msgID: msgId(item) });
  return r.id;
}
const chat = (content: string, extra: Record<string, unknown> = {}) => ({ model: 'mock-1', messages: [{ role: 'user', content }], stream: true, ...extra });

async function settled(id: string, timeoutMs = 20_000): Promise<RequestRecord> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = (await kv.get(id))!.json<RequestRecord>();
    if (isTerminal(r.status)) return r;
    if (Date.now() > until) throw new Error(`request ${id} still ${r.status} after ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

const countChunks = async (id: string): Promise<number> =>
  (await jsm.streams.info(n.chunksStream, { subjects_filter: n.chunk(id) })).state.subjects?.[n.chunk(id)] ?? 0;

/** Every chunk of the request, in stream order, read with an ordered consumer, with the msgID each was stored under. */
async function chunksOf(id: string): Promise<{ chunk: Chunk; msgId: string }[]> {
  const count = await countChunks(id);
  const out: { chunk: Chunk; msgId: string }[] = [];
  if (count === 0) return out;
  const consumer = await js.consumers.get(n.chunksStream, { filter_subjects: n.chunk(id) });
  const messages = await consumer.consume();
  for await (const m of messages) {
    out.push({ chunk: m.json<Chunk>(), msgId: m.headers?.get('Nats-Msg-Id') ?? '' });
    if (out.length === count) break;
  }
  return out;
}

/**
 * The chunks of a stream that has ended. A completed request's `end` is stored just after its record says completed
 * (the record decides how a stream ends, see Chunk), so a test that saw the record settle waits for it here.
 */
async function endedChunksOf(id: string): Promise<{ chunk: Chunk; msgId: string }[]> {
  const lastType = async () => (await jsm.streams.getMessage(n.chunksStream, { last_by_subj: n.chunk(id) }).catch(() => null))?.json<Chunk>().type;
  await until(async () => ['end', 'error'].includes((await lastType()) ?? ''));
  return chunksOf(id);
}

const deltasOf = (cs: { chunk: Chunk }[]) => cs.map((c) => c.chunk).filter((c) => c.type === 'delta');
const textOf = (cs: { chunk: Chunk }[]) => deltasOf(cs).map((c) => c.text).join('');


/** A streamed request running its first attempt, as a worker that died mid-attempt leaves its record. */
async function lostAttemptRecord(): Promise<RequestRecord> {
  const now = Date.now();
  const r: RequestRecord = {
    id: systemIds.requestId(), tenant: 'team-s', api: 'chat', model: 'mock-1', window: 'asap', status: Status.InProgress, body: chat('lost'),
    created_at: now, updated_at: now, started_at: now, attempts: 1, history: [{ attempt: 1, provider: 'mock', provider_model: 'mock-1', started_at: now, outcome: 'running' }],
  };
  await kv.create(r.id, JSON.stringify(r));
  return r;
}

describe('streaming from the adapters', () => {
  it('publishes the mock answer word by word, in order, then `end`; the deltas rebuild the stored result', async () => {
    const id = await submit(chat('stream these few words please'));
    const r = await settled(id);
    expect(r.status).toBe(Status.Completed);
    const cs = await endedChunksOf(id);
    const text = (r.result as any).choices[0].message.content;
    expect(text).toBe('Mock reply to: stream these few words please');
    expect(deltasOf(cs).length).toBe(8);
    expect(textOf(cs)).toBe(text);
    expect(cs.map((c) => c.chunk.seq)).toEqual(cs.map((_, i) => i));
    expect(cs.every((c) => c.chunk.attempt === 1)).toBe(true);
    expect(cs.at(-1)!.chunk).toEqual({
      type: 'end', attempt: 1, seq: 8, model: 'mock-1', finish_reason: 'stop',
      usage: { input_tokens: r.usage!.input_tokens, output_tokens: r.usage!.output_tokens },
    });
    expect(cs.map((c) => c.msgId)).toEqual(cs.map((c) => chunkMsgId(id, c.chunk)));
    // a re-publish under the same msgID (a retried publish) is dropped by the stream
    const again = await js.publish(n.chunk(id), JSON.stringify(cs[2].chunk), { msgID: cs[2].msgId });
    expect(again.duplicate).toBe(true);
    expect(await countChunks(id)).toBe(cs.length);
  });

  it('writes no chunks for a request without stream: true', async () => {
    const id = await submit(chat('plain', { stream: false }));
    expect((await settled(id)).status).toBe(Status.Completed);
    expect(await countChunks(id)).toBe(0);
  });

  it('carries the stop sequence and the length cut on `end`', async () => {
    const stopped = await submit(chat('say STOP now', { stop: ['STOP'] }));
    const cut = await submit(chat('a long enough sentence to be cut short by the limit', { max_completion_tokens: 3 }));
    await Promise.all([settled(stopped), settled(cut)]);
    expect((await endedChunksOf(stopped)).at(-1)!.chunk).toMatchObject({ type: 'end', finish_reason: 'stop', stop_sequence: 'STOP' });
    const c = await endedChunksOf(cut);
    expect(c.at(-1)!.chunk).toMatchObject({ type: 'end', finish_reason: 'length' });
    expect(textOf(c)).toBe('Mock reply t');
  });

  it('retries an attempt that failed before its first delta, and only the retry writes chunks', async () => {
    const id = await submit(chat('second time lucky', { metadata: { mock_fail: 'retryable:1' } }));
    const r = await settled(id);
    expect(r).toMatchObject({ status: Status.Completed, attempts: 2 });
    const cs = await endedChunksOf(id);
    expect(cs.every((c) => c.chunk.attempt === 2)).toBe(true);
    expect(cs.at(-1)!.chunk.type).toBe('end');
    expect(textOf(cs)).toBe('Mock reply to: second time lucky');
  });

  it('fails a request whose stream broke after its first delta: one attempt, an `error` chunk, no retry', async () => {
    const id = await submit(chat('break after one', { metadata: { mock_fail: 'mid_stream' } }));
    const r = await settled(id);
    expect(r).toMatchObject({ status: Status.Failed, attempts: 1, error: { code: 'upstream_error', retryable: false } });
    expect(r.error!.message).toMatch(/stream was interrupted/);
    const cs = await chunksOf(id);
    expect(cs.map((c) => c.chunk)).toEqual([
      { type: 'delta', attempt: 1, seq: 0, text: 'Mock ' },
      { type: 'error', attempt: 1, seq: 1, error: r.error },
    ]);
  });

  it('stops a cancelled stream: the record says cancelled and no `end` is written', async () => {
    const id = await submit(chat('one two three four five six seven eight', { metadata: { mock_chunk_delay_ms: '200' } }));
    await until(async () => (await countChunks(id)) >= 2);
    expect(await casCancel(id)).toBe(true);
    nc.publish(n.event('cancelled', id), '{}'); // what ingress announces once the cancel is stored
    await new Promise((res) => setTimeout(res, 600));
    const cs = await chunksOf(id);
    expect(cs.some((c) => c.chunk.type === 'end' || c.chunk.type === 'error')).toBe(false);
    expect(deltasOf(cs).length).toBeLessThan(11);
    expect((await kv.get(id))!.json<RequestRecord>().status).toBe(Status.Cancelled);
  });

  it('fails, with an `error` chunk and no retry, a streamed request whose adapter was killed mid-stream', async () => {
    const id = await submit(chat('a b c d e f g h i j k l m n o p q r s t u v w x y z', { metadata: { mock_chunk_delay_ms: '250' } }));
    await until(async () => (await countChunks(id)) >= 2);
    await adapters.kill('SIGKILL');
    await adapters.restart();
    const r = await settled(id, 30_000);
    expect(r).toMatchObject({ status: Status.Failed, attempts: 1, error: { code: 'worker_lost', retryable: false } });
    expect(r.history.map((h) => h.outcome)).toEqual(['failed']);
    const cs = await chunksOf(id);
    const last = cs.at(-1)!.chunk;
    expect(last).toEqual({ type: 'error', attempt: 1, seq: cs.length - 1, error: r.error });
    expect(deltasOf(cs).length).toBe(cs.length - 1);
    expect(cs.map((c) => c.chunk.seq)).toEqual(cs.map((_, i) => i));
  }, 60_000);

  it('stores the answer from the chunks when the lost attempt had ended its stream (died before storing it)', async () => {
    // What a worker that died between its `end` ack and its write leaves: the record running attempt 1, whole chunks.
    const r = await lostAttemptRecord();
    const left: Chunk[] = [
      { type: 'delta', attempt: 1, seq: 0, text: 'Saved ' },
      { type: 'delta', attempt: 1, seq: 1, text: 'by the stream' },
      { type: 'end', attempt: 1, seq: 2, model: 'mock-1', finish_reason: 'stop', usage: { input_tokens: 3, output_tokens: 5 } },
    ];
    for (const c of left) await js.publish(n.chunk(r.id), JSON.stringify(c), { msgID: chunkMsgId(r.id, c) });
    // its dispatch message, delivered again to a live adapter
    const item: DispatchItem = { id: r.id, tenant: r.tenant, attempt: 1, provider: 'mock', provider_model: 'mock-1' };
    await js.publish(n.dispatch('mock'), JSON.stringify(item), { msgID: msgId(item) });
    const done = await settled(r.id);
    expect(done).toMatchObject({ status: Status.Completed, attempts: 1, usage: { input_tokens: 3, output_tokens: 5, total_tokens: 8 } });
    expect((done.result as any).choices[0]).toMatchObject({ message: { content: 'Saved by the stream' }, finish_reason: 'stop' });
    expect(await countChunks(r.id)).toBe(3);
  });

  it('fails with the error its stream ended with when the lost attempt had written it (died before storing it)', async () => {
    // A worker that died between its `error` chunk's ack and its write: clients read that error; the record must say the same.
    const r = await lostAttemptRecord();
    const error = { code: 'upstream_error', message: 'The stream was interrupted after its first chunk, so the request is not retried: mock failure', status: 502, retryable: false };
    const left: Chunk[] = [
      { type: 'delta', attempt: 1, seq: 0, text: 'Half ' },
      { type: 'delta', attempt: 1, seq: 1, text: 'an answer' },
      { type: 'error', attempt: 1, seq: 2, error },
    ];
    for (const c of left) await js.publish(n.chunk(r.id), JSON.stringify(c), { msgID: chunkMsgId(r.id, c) });
    const item: DispatchItem = { id: r.id, tenant: r.tenant, attempt: 1, provider: 'mock', provider_model: 'mock-1' };
    await js.publish(n.dispatch('mock'), JSON.stringify(item), { msgID: msgId(item) });
    const done = await settled(r.id);
    expect(done).toMatchObject({ status: Status.Failed, attempts: 1, error });
    expect(done.history).toMatchObject([{ outcome: 'failed', error }]);
    expect(await countChunks(r.id)).toBe(3);
  });

  it('retries as usual a streamed request whose adapter was killed before its first delta', async () => {
    const id = await submit(chat('late start', { metadata: { mock_latency_ms: '3000' } }));
    await until(async () => (await kv.get(id))!.json<RequestRecord>().status === Status.InProgress);
    await adapters.kill('SIGKILL');
    await adapters.restart();
    const r = await settled(id, 30_000);
    expect(r).toMatchObject({ status: Status.Completed, attempts: 2 });
    expect(r.history[0]).toMatchObject({ outcome: 'failed', error: { code: 'worker_lost' } });
    const cs = await endedChunksOf(id);
    expect(cs.every((c) => c.chunk.attempt === 2)).toBe(true);
    expect(textOf(cs)).toBe('Mock reply to: late start');
  }, 60_000);
});

describe('streaming from real wire formats (fake upstreams)', () => {
  it('streams an OpenAI chat completion and rebuilds the same result', async () => {
    openai.plan('chat-marker', answer({ text: 'Hello from the fake chat stream, in several chunks.' }));
    const id = await submit({ model: 'gpt-fake', messages: [{ role: 'user', content: 'chat-marker' }], stream: true });
    const r = await settled(id);
    expect(r.status).toBe(Status.Completed);
    expect(openai.callsWith('chat-marker')[0].body).toMatchObject({ model: 'gpt-up', stream: true, stream_options: { include_usage: true } });
    const cs = await endedChunksOf(id);
    expect(deltasOf(cs).length).toBeGreaterThan(2);
    expect(textOf(cs)).toBe('Hello from the fake chat stream, in several chunks.');
    expect((r.result as any).choices[0].message.content).toBe(textOf(cs));
    expect(cs.at(-1)!.chunk).toEqual({
      type: 'end', attempt: 1, seq: cs.length - 1, model: 'gpt-fake', finish_reason: 'stop',
      usage: { input_tokens: r.usage!.input_tokens, output_tokens: r.usage!.output_tokens },
    });
    expect(r.usage!.output_tokens).toBeGreaterThan(0);
  });

  it('streams an OpenAI Responses answer', async () => {
    openai.plan('resp-marker', answer({ text: 'A streamed response, word by word.' }));
    const id = await submit({ model: 'gpt-fake', input: 'resp-marker', stream: true }, 'responses');
    const r = await settled(id);
    expect(r.status).toBe(Status.Completed);
    expect(openai.callsWith('resp-marker')[0].path).toBe('/v1/responses');
    const cs = await endedChunksOf(id);
    expect(textOf(cs)).toBe('A streamed response, word by word.');
    expect(cs.at(-1)!.chunk).toMatchObject({ type: 'end', model: 'gpt-fake', finish_reason: 'stop' });
  });

  it('streams an Anthropic message, stop sequence and usage included', async () => {
    anthropic.plan('claude-marker', answer({ text: 'Streamed by the fake Anthropic', finish: 'stop_sequence', stopSequence: 'END' }));
    const id = await submit({ model: 'claude-fake', max_tokens: 100, messages: [{ role: 'user', content: 'claude-marker' }], stop_sequences: ['END'], stream: true }, 'messages');
    const r = await settled(id);
    expect(r.status).toBe(Status.Completed);
    const cs = await endedChunksOf(id);
    expect(deltasOf(cs).length).toBeGreaterThan(2);
    expect(textOf(cs)).toBe('Streamed by the fake Anthropic');
    expect((r.result as any).content[0].text).toBe(textOf(cs));
    expect(cs.at(-1)!.chunk).toEqual({
      type: 'end', attempt: 1, seq: cs.length - 1, model: 'claude-fake', finish_reason: 'stop', stop_sequence: 'END',
      usage: { input_tokens: r.usage!.input_tokens, output_tokens: r.usage!.output_tokens },
    });
  });

  it('retries an upstream 503 that came before the stream; fails, unretried, a stream the upstream dropped mid-way', async () => {
    anthropic.plan('retry-marker', failWith(503), answer({ text: 'after one retry' }));
    anthropic.plan('drop-marker', dropMidStream(2));
    const body = (marker: string) => ({ model: 'claude-fake', max_tokens: 100, messages: [{ role: 'user', content: marker }], stream: true });
    const [retried, dropped] = await Promise.all([submit(body('retry-marker'), 'messages'), submit(body('drop-marker'), 'messages')]);

    const r = await settled(retried);
    expect(r).toMatchObject({ status: Status.Completed, attempts: 2 });
    const rc = await endedChunksOf(retried);
    expect(rc.every((c) => c.chunk.attempt === 2)).toBe(true);
    expect(textOf(rc)).toBe('after one retry');

    const d = await settled(dropped);
    expect(d).toMatchObject({ status: Status.Failed, attempts: 1, error: { code: 'upstream_unreachable', retryable: false } });
    expect(anthropic.callsWith('drop-marker')).toHaveLength(1);
    const dc = await chunksOf(dropped);
    expect(dc.map((c) => c.chunk.type)).toEqual(['delta', 'delta', 'error']);
    expect(dc[2].chunk).toMatchObject({ error: d.error });
  });
});

async function until(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((res) => setTimeout(res, 25));
  }
}

/** Stores the cancel with a compare-and-set, as ingress does; false when the request had already finished. */
async function casCancel(id: string): Promise<boolean> {
  for (;;) {
    const e = (await kv.get(id))!;
    const next = decide(e.json<RequestRecord>(), { type: 'cancel' }, Date.now());
    if (!next) return false;
    try {
      await kv.update(id, JSON.stringify(next), e.revision);
      return true;
    } catch {
      /* lost the race to the adapter: read again */
    }
  }
}

import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import type { Chunk } from '@reqrun/contracts';
import { Bus } from '@reqrun/messaging';
import { startNats, type NatsServer } from '@reqrun/testing';
import { ChunkWriter, StaleAttempt } from './chunk.writer.js';

let server: NatsServer;
let nc: NatsConnection;
let jsm: JetStreamManager;
let n = 0;

beforeAll(async () => {
  server = await startNats();
  nc = await connect({ servers: server.url });
  jsm = await jetstreamManager(nc);
});
afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

const stored = async (stream: string): Promise<Chunk[]> => {
  const info = await jsm.streams.info(stream);
  const out: Chunk[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) out.push((await jsm.streams.getMessage(stream, { seq }))!.json<Chunk>());
  return out;
};
const usage = { input_tokens: 1, output_tokens: 3 };

describe('ChunkWriter on a real nats-server', () => {
  it('keeps sending, in order, the chunks published while no stream takes them (a NATS cluster electing a leader), until one does', async () => {
    const name = `W${++n}`;
    const w = new ChunkWriter(new Bus(nc), `${name}.c`, 'rr_x', 1);
    for (const t of ['a ', 'b ', 'c']) w.delta(t); // nothing takes them yet: each publish fails (no responders) and is tried again
    await new Promise((r) => setTimeout(r, 300));
    await jsm.streams.add({ name, subjects: [`${name}.>`] });
    await w.end({ model: 'm', finish_reason: 'stop', usage });
    expect(await stored(name)).toEqual([
      { type: 'delta', attempt: 1, seq: 0, text: 'a ' },
      { type: 'delta', attempt: 1, seq: 1, text: 'b ' },
      { type: 'delta', attempt: 1, seq: 2, text: 'c' },
      { type: 'end', attempt: 1, seq: 3, model: 'm', finish_reason: 'stop', usage },
    ]);
  });

  it('gives up after its retry time: `end` throws, and after the hole only the error chunk is stored', async () => {
    const name = `W${++n}`;
    const w = new ChunkWriter(new Bus(nc), `${name}.c`, 'rr_y', 2, 200);
    w.delta('lost ');
    await expect(w.end({ model: 'm', finish_reason: 'stop', usage })).rejects.toThrow();
    await jsm.streams.add({ name, subjects: [`${name}.>`] });
    w.delta('after the hole');
    const error = { code: 'stream_unavailable', message: 'x', status: 502, retryable: false };
    await w.error(error);
    expect(await stored(name)).toEqual([{ type: 'error', attempt: 2, seq: 2, error }]); // seq 0 lost, 1 skipped, no end sent
  });

  it('an answer with no text whose end could not be sent has not started: nothing a client could have seen', async () => {
    const w = new ChunkWriter(new Bus(nc), `W${++n}.none.c`, 'rr_z', 1, 200); // no stream takes the subject
    w.delta(''); // nothing to send
    expect(w.started).toBe(false);
    await expect(w.end({ model: 'm', finish_reason: 'stop', usage })).rejects.toThrow();
    expect(w.started).toBe(false);
  });

  it('thinking pieces: each a chunk (the first opens its block, even empty), in order with the text; the first starts the stream', async () => {
    const name = `W${++n}`;
    await jsm.streams.add({ name, subjects: [`${name}.>`] });
    const w = new ChunkWriter(new Bus(nc), `${name}.c`, 'rr_p', 1);
    w.thinking({ index: 0, thinking: '' });
    expect(w.started).toBe(true);
    w.thinking({ index: 0, thinking: '' }); // nothing new: not sent
    w.thinking({ index: 0, thinking: 'Mock ' });
    w.thinking({ index: 0, signature: 'sig' });
    w.thinking({ index: 1, redacted: 'opaque' });
    w.thinking({ index: 0, thinking: 'late' }); // a block before the last one started: left out
    w.delta('Hi');
    await w.end({ model: 'm', finish_reason: 'stop', usage });
    expect(await stored(name)).toEqual([
      { type: 'thinking', attempt: 1, seq: 0, index: 0, thinking: '' },
      { type: 'thinking', attempt: 1, seq: 1, index: 0, thinking: 'Mock ' },
      { type: 'thinking', attempt: 1, seq: 2, index: 0, signature: 'sig' },
      { type: 'thinking', attempt: 1, seq: 3, index: 1, redacted: 'opaque' },
      { type: 'delta', attempt: 1, seq: 4, text: 'Hi' },
      { type: 'end', attempt: 1, seq: 5, model: 'm', finish_reason: 'stop', usage },
    ]);
  });

  it('an attempt that no longer holds its request publishes nothing, its error chunk included', async () => {
    const name = `W${++n}`;
    await jsm.streams.add({ name, subjects: [`${name}.>`] });
    const w = new ChunkWriter(new Bus(nc), `${name}.c`, 'rr_s', 1, 1000, async () => false);
    w.delta('stale ');
    await expect(w.end({ model: 'm', finish_reason: 'stop', usage })).rejects.toBeInstanceOf(StaleAttempt);
    await expect(w.error({ code: 'upstream_error', message: 'x', status: 502, retryable: false })).rejects.toBeInstanceOf(StaleAttempt);
    expect(w.stale).toBe(true);
    expect((await jsm.streams.info(name)).state.messages).toBe(0);
  });
});

import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { names, type Chunk } from '@reqrun/contracts';
import { ensureLayout } from '@reqrun/messaging';
import { startNats, type NatsServer } from '@reqrun/testing';
import { ChunkReader } from './chunk.reader.js';

/** The adapters' reads of a request's chunks (recovery of a lost streamed attempt), against a real NATS. */
let nats: NatsServer;
let nc: NatsConnection;
const n = names('cr');
const usage = { input_tokens: 1, output_tokens: 2 };
const end = (attempt: number, seq: number): Extract<Chunk, { type: 'end' }> => ({ type: 'end', attempt, seq, model: 'm', finish_reason: 'stop', usage });

beforeAll(async () => {
  nats = await startNats();
  nc = await connect({ servers: nats.url });
  await ensureLayout(nc, n, { replicas: 1, idempotencyTtlMs: 60_000, eventsMaxAgeMs: 60_000, chunksMaxAgeMs: 3_600_000 });
});
afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

async function put(id: string, ...chunks: Chunk[]): Promise<void> {
  for (const c of chunks) await jetstream(nc).publish(n.chunk(id), JSON.stringify(c));
}

describe('ChunkReader (adapters)', () => {
  it("reads an attempt's answer up to its end, skipping another attempt's pieces", async () => {
    const id = 'rr_01J0000000000000000000000A';
    await put(id, { type: 'delta', attempt: 1, seq: 0, text: 'old' }, { type: 'delta', attempt: 2, seq: 0, text: 'Hel' }, { type: 'delta', attempt: 2, seq: 1, text: 'lo' }, end(2, 2));
    const sut = new ChunkReader(nc, n, id);
    expect(await sut.last()).toEqual(end(2, 2));
    expect(await sut.answerOf(end(2, 2))).toEqual({ model: 'm', text: 'Hello', finish_reason: 'stop', usage });
  });

  it('an attempt not streamed from its provider: the thinking its one delta carries is in the answer', async () => {
    const id = 'rr_01J0000000000000000000000D';
    const thinking = [{ type: 'thinking' as const, thinking: 'hm', signature: 's' }, { type: 'redacted_thinking' as const, data: 'd' }];
    await put(id, { type: 'delta', attempt: 1, seq: 0, text: 'Hi', thinking }, end(1, 1));
    expect(await new ChunkReader(nc, n, id).answerOf(end(1, 1))).toEqual({ model: 'm', text: 'Hi', thinking, finish_reason: 'stop', usage });
  });

  it('thinking streamed in pieces: joined into its blocks (text, signature; a redacted one whole), ahead of the text', async () => {
    const id = 'rr_01J0000000000000000000000E';
    await put(id,
      { type: 'thinking', attempt: 1, seq: 0, index: 0, thinking: '' }, { type: 'thinking', attempt: 1, seq: 1, index: 0, thinking: 'Mock ' },
      { type: 'thinking', attempt: 1, seq: 2, index: 0, thinking: 'thinking' }, { type: 'thinking', attempt: 1, seq: 3, index: 0, signature: 'sig' },
      { type: 'thinking', attempt: 1, seq: 4, index: 1, redacted: 'opaque' }, { type: 'delta', attempt: 1, seq: 5, text: 'Hi' }, end(1, 6));
    expect(await new ChunkReader(nc, n, id).answerOf(end(1, 6))).toEqual({
      model: 'm', text: 'Hi', thinking: [{ type: 'thinking', thinking: 'Mock thinking', signature: 'sig' }, { type: 'redacted_thinking', data: 'opaque' }], finish_reason: 'stop', usage,
    });
  });

  it('a missing piece: no answer', async () => {
    const id = 'rr_01J0000000000000000000000B';
    await put(id, { type: 'delta', attempt: 1, seq: 0, text: 'a' }, { type: 'delta', attempt: 1, seq: 2, text: 'c' }, end(1, 3));
    expect(await new ChunkReader(nc, n, id).answerOf(end(1, 3))).toBeNull();
  });

  it('an end the stream does not reach in time: an error (tried again later), not a wait for ever', async () => {
    const id = 'rr_01J0000000000000000000000C';
    await put(id, { type: 'delta', attempt: 1, seq: 0, text: 'a' });
    await expect(new ChunkReader(nc, n, id).answerOf(end(1, 1), 300)).rejects.toThrow('could not be read to their end within 300 ms');
  });
});

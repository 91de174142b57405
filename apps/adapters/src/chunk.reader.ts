import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { CanonicalResult, Chunk, Names } from '@reqrun/contracts';
import { lastMessage } from '@reqrun/messaging';

/** What a request's chunk stream holds, for the rare recovery of an attempt whose worker was lost mid-stream. */
export class ChunkReader {
  constructor(private readonly nc: NatsConnection, private readonly names: Names, private readonly id: string) {}

  /** The request's last chunk, or null when it has none. */
  async last(): Promise<Chunk | null> {
    return (await lastMessage(this.nc, this.names.chunksStream, this.names.chunk(this.id)))?.json<Chunk>() ?? null;
  }

  /** The answer an attempt's chunks carry, read in order up to its `end`; null when one of its pieces is missing. */
  async answerOf(end: Extract<Chunk, { type: 'end' }>): Promise<CanonicalResult | null> {
    const consumer = await jetstream(this.nc).consumers.get(this.names.chunksStream, { filter_subjects: this.names.chunk(this.id) });
    const messages = await consumer.consume();
    let text = '';
    let next = 0;
    try {
      for await (const m of messages) {
        const c = m.json<Chunk>();
        if (c.attempt !== end.attempt) continue;
        if (c.seq !== next) return null;
        if (c.seq === end.seq) break;
        if (c.type !== 'delta') return null;
        text += c.text;
        next++;
      }
    } finally {
      messages.stop();
    }
    const { model, finish_reason, stop_sequence, usage } = end;
    return { model, text, finish_reason, ...(stop_sequence !== undefined ? { stop_sequence } : {}), usage };
  }
}

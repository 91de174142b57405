import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { CanonicalResult, CanonicalThinking, Chunk, Names } from '@reqrun/contracts';
import { lastMessage } from '@reqrun/messaging';
import { joinThought } from '@reqrun/translate';

/** What a request's chunk stream holds, for the rare recovery of an attempt whose worker was lost mid-stream. */
export class ChunkReader {
  constructor(private readonly nc: NatsConnection, private readonly names: Names, private readonly id: string) {}

  /** The request's last chunk, or null when it has none. */
  async last(): Promise<Chunk | null> {
    return (await lastMessage(this.nc, this.names.chunksStream, this.names.chunk(this.id)))?.json<Chunk>() ?? null;
  }

  /**
   * The answer an attempt's chunks carry, read in order up to its `end`; null when one of its pieces is missing.
   * Throws when the stream cannot be read to the end within `withinMs` (NATS failing over): the caller tries again later.
   */
  async answerOf(end: Extract<Chunk, { type: 'end' }>, withinMs = 30_000): Promise<CanonicalResult | null> {
    const consumer = await jetstream(this.nc).consumers.get(this.names.chunksStream, { filter_subjects: this.names.chunk(this.id) });
    const messages = await consumer.consume();
    const timer = setTimeout(() => messages.stop(), withinMs);
    let text = '';
    const thinking: CanonicalThinking[] = [];
    let next = 0;
    let whole = false;
    try {
      for await (const m of messages) {
        const c = m.json<Chunk>();
        if (c.attempt !== end.attempt) continue;
        if (c.seq !== next) return null;
        if (c.seq === end.seq) {
          whole = true;
          break;
        }
        if (c.type === 'tool_call') {
          next++; // a preview: the end has the calls whole
          continue;
        }
        if (c.type === 'thinking') {
          joinThought(thinking, c);
          next++;
          continue;
        }
        if (c.type !== 'delta') return null;
        text += c.text;
        thinking.push(...(c.thinking ?? []));
        next++;
      }
    } finally {
      clearTimeout(timer);
      messages.stop();
    }
    if (!whole) throw new Error(`the chunks of ${this.id} could not be read to their end within ${withinMs} ms`);
    const { model, finish_reason, stop_sequence, usage, tool_calls } = end;
    return { model, text, ...(tool_calls?.length ? { tool_calls } : {}), ...(thinking.length ? { thinking } : {}), finish_reason, ...(stop_sequence !== undefined ? { stop_sequence } : {}), usage };
  }
}

import { chunkMsgId, type Chunk, type RecordError } from '@reqrun/contracts';
import type { ThinkingDelta, ToolCallDelta } from '@reqrun/translate';
import type { Bus } from '@reqrun/messaging';
import { keepTrying } from './keep-trying.js';

type Ending = Omit<Extract<Chunk, { type: 'end' }>, 'type' | 'attempt' | 'seq'>;

/** How long one chunk's publish is tried again: a NATS cluster electing a new leader for RR_CHUNKS takes seconds. */
export const chunkRetryMs = 15_000;

/** The attempt no longer holds its request (taken for lost and retried while its process was frozen): it writes nothing. */
export class StaleAttempt extends Error {}

/**
 * Publishes one attempt's chunks to `rr.chunk.<id>`, in order. `delta` only queues the chunk, so the provider's
 * stream is never held up by JetStream; the queue is published one chunk at a time, each after the one before is
 * stored, and a failed publish is sent again (same msgID, so one that was stored after all is not stored twice) for
 * up to `chunkRetryMs`: a NATS node lost mid-stream leaves no hole and nothing out of order. A chunk that still
 * fails makes a hole: nothing but the `error` chunk goes after it. `stored` and `end` wait for the whole queue: the
 * attempt stores its outcome only once readers can find all of its text (and its `end` after that).
 *
 * `holds`, asked (until it answers) before the first chunk is published: does the attempt still hold the request? An
 * adapter frozen before its first chunk (a paused VM, a long GC) finds on waking that its attempt was found lost and
 * retried meanwhile; its chunks would land among the retry's, and a reader could follow the wrong attempt.
 */
export class ChunkWriter {
  private seq = 0;
  private queue: Promise<void> = Promise.resolve();
  private failure: unknown;
  private deltaSent = false;
  private lastCall = -1;
  private lastThought = -1;
  private held = false;
  private staleness?: StaleAttempt;

  constructor(
    private readonly bus: Bus, private readonly subject: string, private readonly id: string, private readonly attempt: number,
    private readonly retryMs = chunkRetryMs, private readonly holds?: () => Promise<boolean>,
  ) {}

  /** Found stale before its first chunk: nothing of this attempt was published, nor will be. */
  get stale(): boolean {
    return this.staleness !== undefined;
  }

  /** A delta (or a tool call's or a thinking block's piece) has been sent: a client may have seen part of the answer, so this attempt is the request's last. (Not `seq`: an `end` counts there too.) */
  get started(): boolean {
    return this.deltaSent;
  }

  delta(text: string): void {
    if (text === '') return;
    this.deltaSent = true;
    const c: Chunk = { type: 'delta', attempt: this.attempt, seq: this.seq, text };
    void this.send(c).catch(() => undefined); // kept in `failure`
  }

  /**
   * A piece of a tool call (see Chunk `tool_call`), queued like a delta. Pieces keep the format's order, one call after
   * the other: a piece of a call before the last one started (a provider interleaving its calls) is left out, and the
   * `end`, which has every call whole, finishes it.
   */
  toolCall(p: ToolCallDelta): void {
    if (p.index < this.lastCall) return;
    const first = p.index > this.lastCall;
    if (!first && p.arguments_delta === '' && p.id === undefined && p.name === undefined) return;
    this.lastCall = p.index;
    this.deltaSent = true;
    const c: Chunk = {
      type: 'tool_call', attempt: this.attempt, seq: this.seq, index: p.index,
      ...(p.id !== undefined ? { id: p.id } : {}), ...(p.name !== undefined ? { name: p.name } : {}), arguments: p.arguments_delta,
    };
    void this.send(c).catch(() => undefined); // kept in `failure`
  }

  /**
   * A piece of a thinking block (see Chunk `thinking`), queued like a delta; blocks one after the other, as for calls:
   * a piece of a block before the last one started is left out (Anthropic never interleaves them).
   */
  thinking(p: ThinkingDelta): void {
    if (p.index < this.lastThought) return;
    const first = p.index > this.lastThought;
    if (!first && !p.thinking && p.signature === undefined) return;
    this.lastThought = p.index;
    this.deltaSent = true;
    const c: Chunk = {
      type: 'thinking', attempt: this.attempt, seq: this.seq, index: p.index,
      ...(p.thinking !== undefined ? { thinking: p.thinking } : {}), ...(p.signature !== undefined ? { signature: p.signature } : {}),
      ...(p.redacted !== undefined ? { redacted: p.redacted } : {}),
    };
    void this.send(c).catch(() => undefined); // kept in `failure`
  }

  /** Sent only once every delta is stored: a stream that ends with `end` is whole. */
  async end(e: Ending): Promise<void> {
    await this.stored();
    await this.send({ type: 'end', attempt: this.attempt, seq: this.seq, ...e });
  }

  /** Ends the stream with an error, after the chunks before it; only its own publish matters (it may close a stream that has a hole). */
  async error(error: RecordError): Promise<void> {
    await this.send({ type: 'error', attempt: this.attempt, seq: this.seq, error });
  }

  private send(c: Chunk): Promise<void> {
    this.seq++;
    const published = this.queue.then(() => this.publish(c));
    this.queue = published.catch((e) => void (this.failure ??= e));
    return published;
  }

  private async publish(c: Chunk): Promise<void> {
    if (this.staleness) throw this.staleness;
    if (this.failure !== undefined && c.type !== 'error') throw this.failure;
    await keepTrying(async () => {
      if (!this.held && this.holds) {
        if (!(await this.holds())) throw (this.staleness = new StaleAttempt(`attempt ${this.attempt} of ${this.id} no longer holds the request`));
        this.held = true;
      }
      await this.bus.persist(this.subject, c, chunkMsgId(this.id, c));
    }, this.retryMs, () => this.staleness !== undefined);
  }

  /** Every chunk sent so far is stored, failed, or found stale (`stale` is then known); never throws. */
  settled(): Promise<void> {
    return this.queue;
  }

  /** Every chunk sent so far is stored; throws the first publish that failed (the stream has a hole), or StaleAttempt. */
  async stored(): Promise<void> {
    await this.queue;
    if (this.failure !== undefined) throw this.failure;
  }
}

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
  private readonly calls = { last: -1 }; // the index of the last call a piece was sent of
  private readonly thoughts = { last: -1 }; // ... and of the last thinking block
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
    void this.send({ type: 'delta', attempt: this.attempt, seq: this.seq, text }).catch(() => undefined); // kept in `failure`
  }

  /** A piece of a tool call (see Chunk `tool_call`), queued like a delta. */
  toolCall(p: ToolCallDelta): void {
    const news = p.arguments_delta !== '' || p.id !== undefined || p.name !== undefined;
    this.piece(this.calls, p.index, news, () => ({
      type: 'tool_call', attempt: this.attempt, seq: this.seq, index: p.index,
      ...(p.id !== undefined ? { id: p.id } : {}), ...(p.name !== undefined ? { name: p.name } : {}), arguments: p.arguments_delta,
    }));
  }

  /** A piece of a thinking block (see Chunk `thinking`), queued like a delta. */
  thinking(p: ThinkingDelta): void {
    this.piece(this.thoughts, p.index, !!p.thinking || p.signature !== undefined, () => ({
      type: 'thinking', attempt: this.attempt, seq: this.seq, index: p.index,
      ...(p.thinking !== undefined ? { thinking: p.thinking } : {}), ...(p.signature !== undefined ? { signature: p.signature } : {}),
      ...(p.redacted !== undefined ? { redacted: p.redacted } : {}),
    }));
  }

  /**
   * A piece of one of an answer's calls or thinking blocks, which the format keeps one after the other: a piece of
   * one before the last started (a provider interleaving them) is left out (the end, or the record, has it whole),
   * and so is a later piece with nothing new; a block's first piece is sent even empty (it opens the block).
   */
  private piece(order: { last: number }, index: number, news: boolean, chunk: () => Chunk): void {
    if (index < order.last || (index === order.last && !news)) return;
    order.last = index;
    this.deltaSent = true;
    void this.send(chunk()).catch(() => undefined); // kept in `failure`
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

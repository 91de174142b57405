import { DeliverPolicy, jetstream, type ConsumerMessages, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import { Inject, Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { CHUNK_KINDS, endsStream, ErrorCode, isPiece, isTerminal, Status, type Chunk, type RecordError, type RequestRecord } from '@reqrun/contracts';
import { lastMessage } from '@reqrun/messaging';
import { LOGGER, Nats, type Logger } from '@reqrun/runtime';
import { RequestStore } from '@reqrun/store';
import { fromApiResult } from '@reqrun/translate';

/** A chunk, and when it was stored (epoch ms): a Responses stream shows it as the completion time. */
export interface StreamItem {
  chunk: Chunk;
  at: number;
}

export interface ReadOptions {
  /**
   * While nothing arrives, look this often, ms, at the record (a wake-up lost in a NATS reconnect only delays the end)
   * and at the last chunk stored (a consumer lost with a NATS node, whose own recovery can take a minute or more, is
   * replaced from where the read stands).
   */
  recheckMs: number;
}
const defaultRead: ReadOptions = { recheckMs: 5_000 };

/**
 * Reads one request's answer as chunks: an ordered JetStream consumer on `rr.chunk.<id>`, from the start, until an
 * `end` or `error` chunk; or, when the record is terminal and every chunk stored for it has been read, the rest
 * built from the record (a request that did not stream: its whole answer as one delta and its end; a failed,
 * expired or cancelled one: its error). The terminal state is stored after the last delta (the `end` may follow it,
 * and is then the same as the one built from the record), and `rr.done.*.<id>` is
 * subscribed before the record is read, so neither a chunk nor the end can be missed.
 */
@Injectable()
export class ChunkReader {
  private readonly js: JetStreamClient;

  constructor(@Inject(Nats) private readonly nats: Nats, private readonly store: RequestStore, @Inject(LOGGER) private readonly log: Logger) {
    this.js = jetstream(nats.nc);
  }

  async *read(tenant: string, id: string, signal?: AbortSignal, o: Partial<ReadOptions> = {}): AsyncGenerator<StreamItem> {
    const { recheckMs } = { ...defaultRead, ...o };
    const n = this.nats.names;
    const subject = n.chunk(id);
    const queue: JsMsg[] = [];
    let terminal: RequestRecord | null = null;
    let bell: (() => void) | undefined;
    const ring = () => {
      const b = bell;
      bell = undefined;
      b?.();
    };
    const done = this.nats.nc.subscribe(n.doneAny(id), {
      max: 1,
      callback: (err, msg) => {
        if (err) return;
        terminal ??= msg.json<RequestRecord>();
        ring();
      },
    });
    signal?.addEventListener('abort', ring);
    let messages: ConsumerMessages | undefined;
    let generation = 0;
    try {
      const first = await this.store.get(tenant, id);
      if (!first) return;
      if (isTerminal(first.status)) terminal = first;
      let streamSeq = 0; // of the last message read
      /** An ordered consumer from the message after `streamSeq` (a replaced one's messages are dropped). */
      const follow = async () => {
        const g = ++generation;
        messages?.stop();
        const consumer = await this.js.consumers.get(n.chunksStream, {
          filter_subjects: subject, // one subject: filter_subject, which nats-server 2.9 knows
          ...(streamSeq > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: streamSeq + 1 } : {}),
        });
        const ms = await consumer.consume({
          callback: (m) => {
            if (g !== generation) return;
            queue.push(m);
            ring();
          },
        });
        if (g === generation) messages = ms;
        else ms.stop();
      };
      // While NATS fails over, creating the consumer can take the library's own retries (tens of seconds): do not
      // wait on it longer than a period; a later one replaces it (its generation is newer) if it never comes.
      // A creation that fails (NATS away) is not the stream's end: the next recheck follows again from where we are.
      const following = () => Promise.race([
        follow().catch((err: unknown) => void this.log.debug({ err, request_id: id }, 'stream read: could not follow the chunks; trying again at the next recheck')),
        sleep(recheckMs, undefined, { ref: false }),
      ]);
      await following();

      const seen = new Seen();
      let drainTo: number | undefined;
      while (!signal?.aborted) {
        const m = queue.shift();
        if (m) {
          if (m.seq <= streamSeq) continue; // read already, before its consumer was replaced
          streamSeq = m.seq;
          const c = chunkOf(m);
          if (!c || !seen.accepts(c)) continue;
          yield { chunk: c, at: Number(m.timestampNanos / 1_000_000n) };
          if (endsStream(c)) return;
          continue;
        }
        if (terminal) {
          if (drainTo === undefined) {
            drainTo = await this.lastStored(subject).catch((err: unknown) => void this.log.debug({ err, request_id: id }, 'stream read: the last chunk could not be read; trying again'));
            if (drainTo !== undefined) continue; // messages may have come in meanwhile
          } else if (streamSeq >= drainTo) {
            for (const chunk of tailOf(terminal, seen)) yield { chunk, at: terminal.ended_at ?? terminal.updated_at };
            return;
          }
        }
        const woken = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), recheckMs);
          bell = () => {
            clearTimeout(timer);
            resolve(true);
          };
        });
        if (!woken && !signal?.aborted) {
          try {
            if (!terminal) {
              const r = await this.store.get(tenant, id);
              if (!r) return;
              if (isTerminal(r.status)) terminal = r;
            }
            // Stored chunks this read has not had for a whole period: its consumer is gone (say with the NATS node
            // that held it) and the library may take minutes to notice. Follow the stream again from where we are.
            const last = queue.length === 0 ? await this.lastStored(subject) : 0;
            if (last > streamSeq) {
              this.log.info({ request_id: id, read_to: streamSeq, stored_to: last }, 'stream read: chunks stored but not delivered; following the stream again');
              await following();
            }
          } catch (err) {
            this.log.debug({ err, request_id: id }, 'stream read: recheck failed (NATS failing over?); looking again after the next period');
          }
        }
      }
    } finally {
      done.unsubscribe();
      signal?.removeEventListener('abort', ring);
      generation++; // a follow still under way (NATS slow) stops the consumer it makes, instead of leaving it pulling
      messages?.stop();
    }
  }

  /** The stream sequence of the last chunk stored for the request, 0 when there is none. */
  private async lastStored(subject: string): Promise<number> {
    return (await lastMessage(this.nats.nc, this.nats.names.chunksStream, subject))?.seq ?? 0;
  }
}

/**
 * The chunk a message holds, or null for one that is not a chunk (someone else's publish on the subject) or a kind
 * this reader does not know: it is skipped, so a chunk kind added later (as `tool_call` and `thinking` were) never breaks an older
 * reader, which still gets the whole answer from the `end`.
 */
function chunkOf(m: JsMsg): Chunk | null {
  try {
    const c = m.json<Chunk>();
    return c !== null && typeof c === 'object' && CHUNK_KINDS.includes(c.type) && typeof c.attempt === 'number' && typeof c.seq === 'number' ? c : null;
  } catch {
    return null;
  }
}

/** What a read has passed on so far: only the streamed attempt's chunks count, each once, in order. */
export class Seen {
  attempt?: number;
  seq = -1;
  /** A piece of the answer (text, a tool call's or a thinking block's) was passed on: the record's text is not sent again as one delta. */
  delta = false;

  accepts(c: Chunk): boolean {
    if (this.attempt !== undefined && c.attempt !== this.attempt) return false; // a stale attempt's error too (its adapter froze and woke up after its retry began)
    if (c.type === 'error') return true; // whoever wrote it (the attempt, a cancel, a lost attempt's recovery), the stream ends there
    if (c.seq <= this.seq) return false; // a duplicate
    this.attempt = c.attempt;
    this.seq = c.seq;
    if (isPiece(c)) this.delta = true;
    return true;
  }
}

/**
 * The end of a stream, from its terminal record, after every stored chunk was read and none ended it: a completed
 * request's answer (its thinking and whole text as one delta when nothing was streamed) and its end; else the request's error.
 */
export function tailOf(r: RequestRecord, seen: Pick<Seen, 'attempt' | 'seq' | 'delta'>): Chunk[] {
  const attempt = seen.attempt ?? r.attempts;
  let seq = seen.seq;
  if (r.status === Status.Completed && r.result !== undefined) {
    const a = fromApiResult(r.api, r.result);
    const end: Chunk = {
      type: 'end', attempt, seq: 0, model: a.model, finish_reason: a.finish_reason, usage: a.usage,
      ...(a.stop_sequence !== undefined ? { stop_sequence: a.stop_sequence } : {}),
      ...(a.tool_calls?.length ? { tool_calls: a.tool_calls } : {}),
    };
    const text: Chunk[] = seen.delta || (a.text === '' && !a.thinking?.length)
      ? []
      : [{ type: 'delta', attempt, seq: ++seq, text: a.text, ...(a.thinking?.length ? { thinking: a.thinking } : {}) }];
    return [...text, { ...end, seq: ++seq }];
  }
  return [{ type: 'error', attempt, seq: seq + 1, error: errorOf(r) }];
}

function errorOf(r: RequestRecord): RecordError {
  if (r.status === Status.Cancelled) return cancelledError(r.id);
  return r.error ?? { code: ErrorCode.UpstreamError, message: 'The request failed.', status: 502, retryable: false };
}

export const cancelledError = (id: string): RecordError => ({ code: ErrorCode.Cancelled, message: `Request ${id} was cancelled.`, status: 409, retryable: false });

/**
 * The chunk a cancel writes to end a streamed request's stream at a fixed point: pieces the attempt still publishes
 * before its call is aborted land after it, and no reader (now or on a later replay) ever reads them, so every read
 * of the stream is the same. `seq` -1: outside the attempt's own numbering, so its message id never collides.
 */
export const cancelChunk = (r: RequestRecord): Chunk => ({ type: 'error', attempt: r.attempts, seq: -1, error: cancelledError(r.id) });

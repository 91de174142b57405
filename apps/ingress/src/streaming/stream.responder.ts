import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import type { Config } from '@reqrun/config';
import { endsStream, ReqRunError, type RequestRecord } from '@reqrun/contracts';
import { CONFIG, LOGGER, type Logger } from '@reqrun/runtime';
import { keepAliveText, sseText, streamEncoder, type SseEvent } from '@reqrun/translate';
import type { FastifyReply } from 'fastify';
import { Readable } from 'node:stream';
import { RequestsService } from '../requests/requests.service.js';
import { hangUpSignal } from '../submit/answer.js';
import { ChunkReader, type StreamItem } from './chunk.reader.js';
import { streamFirstEvent, streamsOpen } from './stream.metrics.js';

export interface RespondOptions {
  /** Responses: leave out the events up to this `sequence_number` (a client resuming a stream it read before). */
  startingAfter?: number;
  /**
   * `json`: a request that fails before its first event answers with its error in the API's JSON envelope and its
   * HTTP status, as a non-streamed call would (a create: the failed attempts before it stayed invisible).
   * `event`: it is streamed like any end (a read of a stored response replays its events).
   */
  errorBeforeFirst: 'json' | 'event';
  /** The client hanging up before the end cancels the request. */
  cancelOnDisconnect: boolean;
}

const IDLE = Symbol('idle');
type Next = IteratorResult<StreamItem> | typeof IDLE;

/**
 * Relays a request's answer to an HTTP client as Server-Sent Events in its API's format: reads its chunks
 * (ChunkReader), encodes them (translate's stream encoders) and returns the stream for Fastify to send. Nothing is
 * sent before the first chunk (or the first keep-alive), so a request that fails before it still gets a plain JSON
 * error; after that, a failure is the API's own error event.
 */
@Injectable()
export class StreamResponder implements BeforeApplicationShutdown {
  private readonly shutdown = new AbortController();

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly reader: ChunkReader,
    private readonly requests: RequestsService,
  ) {}

  /** Open streams end at once (cut, not completed: a Responses client resumes by id on another replica). */
  beforeApplicationShutdown(): void {
    this.shutdown.abort();
  }

  async respond(r: RequestRecord, reply: FastifyReply, o: RespondOptions): Promise<Readable> {
    const began = performance.now();
    const hangUp = hangUpSignal(reply);
    const stop = AbortSignal.any([hangUp, this.shutdown.signal]);
    const items = this.reader.read(r.tenant, r.id, stop)[Symbol.asyncIterator]();
    const encoder = streamEncoder(r.api, { id: r.id, created: Math.floor(r.created_at / 1000), model: r.model, request: r.body });
    const idleMs = this.config.streaming.keepalive_s * 1000;
    let finished = false;
    const hungUp = () => {
      if (finished || !o.cancelOnDisconnect) return;
      this.requests.cancel(r.tenant, r.id).catch((e) => this.log.debug({ err: e }, 'cancel on disconnect: not cancelled'));
    };
    // gone while its request was being stored: the signal is born aborted
    if (hangUp.aborted) hungUp();
    else hangUp.addEventListener('abort', hungUp, { once: true });

    let pending = items.next();
    let next: Next;
    streamsOpen.inc({ api: r.api });
    try {
      next = await nextOrIdle(pending, idleMs);
    } catch (e) {
      streamsOpen.dec({ api: r.api });
      throw e;
    }
    if (next !== IDLE && !next.done && next.value.chunk.type === 'error' && o.errorBeforeFirst === 'json') {
      streamsOpen.dec({ api: r.api });
      finished = true;
      await items.return(undefined);
      const e = next.value.chunk.error;
      throw new ReqRunError(e.code, e.message, e.status);
    }
    let timed = false;

    const skip = (e: SseEvent) =>
      o.startingAfter !== undefined && typeof e.data === 'object' && (e.data as { sequence_number?: number }).sequence_number! <= o.startingAfter;
    const frames = async function* (this: void): AsyncGenerator<string> {
      try {
        for (;;) {
          if (next === IDLE) {
            yield keepAliveText(r.api);
          } else if (next.done) {
            // The reader stopped before the end: the server is shutting down (or the record is gone). Cut the
            // connection rather than end it cleanly, so the client cannot take a partial answer for a whole one.
            if (!finished && !hangUp.aborted) throw new Error('stream cut before its end');
            return;
          } else {
            const { chunk, at } = next.value;
            if (!timed) {
              timed = true;
              streamFirstEvent.observe({ api: r.api }, (performance.now() - began) / 1000);
            }
            for (const e of encoder.push(chunk, at)) if (!skip(e)) yield sseText(e);
            if (endsStream(chunk)) finished = true;
            pending = items.next();
          }
          next = await nextOrIdle(pending, idleMs);
        }
      } finally {
        await items.return(undefined);
      }
    };
    void reply
      .header('content-type', 'text/event-stream; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('x-accel-buffering', 'no'); // nginx: pass each event on at once
    const body = Readable.from(frames(), { objectMode: false });
    body.once('close', () => streamsOpen.dec({ api: r.api })); // ended, failed, or destroyed before it was read
    return body;
  }
}

/** The reader's next item, or IDLE when none came within `ms` (the same `pending` is awaited again after). */
async function nextOrIdle(pending: Promise<IteratorResult<StreamItem>>, ms: number): Promise<Next> {
  let timer: NodeJS.Timeout | undefined;
  const idle = new Promise<typeof IDLE>((resolve) => (timer = setTimeout(() => resolve(IDLE), ms)));
  try {
    return await Promise.race([pending, idle]);
  } finally {
    clearTimeout(timer);
  }
}

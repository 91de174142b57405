import { Inject, Injectable } from '@nestjs/common';
import type { Config } from '@reqrun/config';
import { badRequest, ErrorCode, ReqRunError } from '@reqrun/contracts';
import { CONFIG } from '@reqrun/runtime';
import { BatchStore, CHUNK_LINES, type BatchRecord, type LineEntry } from '@reqrun/store';
import { toReqRunError } from '../errors/to-reqrun-error.js';
import type { Tenant } from '../security/api-keys.js';
import type { ApiEdge } from '../submit/api-edge.js';
import { ApiEdges } from '../submit/api-edges.js';
import { CreateHandler } from '../submit/create.handler.js';
import { apiOfEndpoint } from './batch-endpoints.js';
import { batchLine, type BatchLine } from './batch-input.js';
import type { RawLine } from './batch.line-reader.js';
import { mapPool } from './pool.js';

/** A line whose request was abandoned unstored this often keeps the last one (a process that keeps dying mid-write). */
const MAX_RESUBMITS = 5;

/** Why the fan-out stopped before its last chunk: the tenant's queue is full (try again then), or this process is stopping. */
export type FanOutStop = { retryAfterMs: number } | null;

/** Whether every line has been made a request (or refused). */
export const fannedOut = (b: BatchRecord): boolean => b.chunks * CHUNK_LINES >= b.request_counts.total;

/**
 * Makes each line of a batch a request through the create path every API shares, CHUNK_LINES at a time: the
 * chunk's request ids (or the errors its refused lines got) are stored, then the record's `chunks` moves past it.
 * Each line's idempotency key is `<batch id>:<line>`, so a chunk submitted again after a crash gets the requests it
 * made the first time, not new ones. Stops between chunks once the batch is cancelled or past its expiry. Holds one
 * chunk's lines at a time.
 */
@Injectable()
export class BatchFanOut {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly create: CreateHandler,
    private readonly edges: ApiEdges,
    private readonly batches: BatchStore,
  ) {}

  /** `input`: the checked input file's lines as they are read, from the first; read once, up to the last chunk made. */
  async run(start: BatchRecord, input: AsyncIterable<RawLine>, tenant: Tenant, signal: AbortSignal): Promise<{ b: BatchRecord; stop: FanOutStop }> {
    const edge = this.edges.of(apiOfEndpoint(start.endpoint));
    const lines = input[Symbol.asyncIterator]();
    let read = 0;
    /** Chunk n's requests: the lines before it (chunks already made) skipped unparsed, its own read. */
    const chunkLines = async (n: number): Promise<BatchLine[]> => {
      const part: BatchLine[] = [];
      while (read < (n + 1) * CHUNK_LINES) {
        const r = await lines.next();
        if (r.done) break;
        if (read++ >= n * CHUNK_LINES) part.push(batchLine(r.value));
      }
      return part;
    };
    let b = start;
    while (!fannedOut(b) && b.status === 'in_progress' && Date.now() < b.expires_at) {
      if (signal.aborted) return { b, stop: { retryAfterMs: 0 } };
      const n = b.chunks;
      if (!(await this.batches.chunk(b.tenant, b.id, n))) {
        const part = await chunkLines(n);
        let entries: LineEntry[];
        try {
          entries = await mapPool(part, this.config.batches.submit_concurrency, (l) => this.submit(edge, tenant, b.id, l));
        } catch (e) {
          if (e instanceof ReqRunError && e.status === 429) return { b, stop: { retryAfterMs: (e.retryAfterS ?? 1) * 1000 } };
          throw e;
        }
        await this.batches.putChunk(b.tenant, b.id, n, entries);
      }
      b = (await this.batches.change(b.tenant, b.id, (cur) => (cur.chunks > n ? undefined : { ...cur, chunks: n + 1 }))) ?? b;
    }
    return { b, stop: null };
  }

  /** The line's request, or the 4xx the create path refused it with; anything else (429, 5xx) is thrown and the chunk tried again. */
  private async submit(edge: ApiEdge, tenant: Tenant, batchId: string, l: BatchLine): Promise<LineEntry> {
    try {
      if (l.body.stream === true) throw badRequest("'stream' is not supported in a batch: each line's answer is written to the output file.", 'stream');
      // The batch decides these: its window, no waiting, its own idempotency key per line.
      const { idempotency_key: _k, wait_timeout: _t, ...own } = l.body;
      const body = { ...own, completion_window: 'batch', wait: false };
      // A request abandoned because its record was never stored (this process died between the two writes) never
      // ran: the line gets a new one, under the next key, as deterministically as the first.
      for (let k = 0; ; k++) {
        const key = k === 0 ? `${batchId}:${l.line}` : `${batchId}:${l.line}:${k}`;
        const r = await this.create.accept(edge, tenant, body, { 'idempotency-key': key });
        if (r.error?.code !== ErrorCode.NotStored || k >= MAX_RESUBMITS) return { c: l.custom_id, id: r.id };
      }
    } catch (err) {
      const e = toReqRunError(err);
      if (e.status < 400 || e.status >= 500 || e.status === 429) throw e;
      return { c: l.custom_id, error: { status: e.status, code: String(e.code), message: e.message, param: e.param } };
    }
  }
}

import { Injectable } from '@nestjs/common';
import { ReqRunError, Status } from '@reqrun/contracts';
import { derivedId, FileStore, CHUNK_LINES, type BatchRecord, type LineEntry } from '@reqrun/store';
import { openAIErrorBody } from '@reqrun/translate';
import { ApiEdges } from '../submit/api-edges.js';
import { answerOf } from '../submit/answer.js';
import { BATCH_ENDPOINTS } from './batch-endpoints.js';
import { BatchProgress } from './batch.progress.js';

/** How a batch ends once nothing of it runs any more. */
export type BatchEnding = 'completed' | 'cancelled' | 'expired';

export interface WrittenFiles {
  output_file_id: string | null;
  error_file_id: string | null;
  request_counts: { total: number; completed: number; failed: number };
}

const encoder = new TextEncoder();
const jsonl = (lines: unknown[]) => encoder.encode(lines.map((l) => `${JSON.stringify(l)}\n`).join(''));

/**
 * Writes a finished batch's output file (its completed lines, in input order, each with the answer exactly as the
 * endpoint returns it) and error file (the rest: the error answer of a failed or refused line, or `error` alone for
 * a line the batch's cancel or expiry stopped). Both have ids derived from the batch id, so writing again after a
 * crash replaces them instead of adding files.
 */
@Injectable()
export class BatchOutput {
  constructor(
    private readonly files: FileStore,
    private readonly progress: BatchProgress,
    private readonly edges: ApiEdges,
  ) {}

  /** `neverRun`: the custom ids of the lines the fan-out did not reach (asked only when there are some). */
  async write(b: BatchRecord, ending: BatchEnding, neverRun: () => Promise<string[]>): Promise<WrittenFiles> {
    const edge = this.edges.of(BATCH_ENDPOINTS[b.endpoint]);
    const out: unknown[] = [];
    const errors: unknown[] = [];
    const stopped = { code: `batch_${ending}`, message: ending === 'expired' ? 'The batch expired before this request finished.' : 'The batch was cancelled before this request finished.' };
    const lineId = (i: number) => `batch_req_${derivedId(b.id, `line:${i}`, 32)}`;
    for (let n = 0; n < b.chunks; n++) {
      const entries: LineEntry[] = await this.progress.entries(b, n);
      const states = await this.progress.states(b.tenant, entries);
      entries.forEach((e, j) => {
        const base = { id: lineId(n * CHUNK_LINES + j), custom_id: e.c };
        const r = states[j];
        if (e.error) {
          errors.push({ ...base, response: { status_code: e.error.status, request_id: null, body: openAIErrorBody(e.error) }, error: null });
        } else if (!r) {
          errors.push({ ...base, response: null, error: { code: 'request_not_found', message: `The request ${e.id} of this line is gone.` } });
        } else if (r.status === Status.Cancelled && ending !== 'completed') {
          errors.push({ ...base, response: null, error: stopped });
        } else {
          try {
            out.push({ ...base, response: { status_code: 200, request_id: r.id, body: answerOf(r, edge).body }, error: null });
          } catch (err) {
            const x = err as ReqRunError;
            errors.push({ ...base, response: { status_code: x.status, request_id: r.id, body: openAIErrorBody(x) }, error: null });
          }
        }
      });
    }
    const reached = b.chunks * CHUNK_LINES;
    if (reached < b.request_counts.total) {
      (await neverRun()).slice(reached).forEach((c, k) => errors.push({ id: lineId(reached + k), custom_id: c, response: null, error: stopped }));
    }
    const put = async (what: string, lines: unknown[]) =>
      lines.length === 0 ? null : (await this.files.put(b.tenant, { id: `file-${derivedId(b.id, what)}`, filename: `${b.id}_${what}.jsonl`, purpose: 'batch_output', data: jsonl(lines) })).id;
    return {
      output_file_id: await put('output', out),
      error_file_id: await put('error', errors),
      request_counts: { total: b.request_counts.total, completed: out.length, failed: errors.length },
    };
  }
}

import { Injectable } from '@nestjs/common';
import { isTerminal, Status } from '@reqrun/contracts';
import { derivedId, FileStore, CHUNK_LINES, type BatchRecord, type LineEntry, type ResultCounts } from '@reqrun/store';
import { ApiEdges } from '../submit/api-edges.js';
import { apiOfEndpoint, MESSAGE_BATCH_PURPOSE, MESSAGES_ENDPOINT } from './batch-endpoints.js';
import { jsonl, type EndedLine, type LineOutcome } from './batch.lines.js';
import { BatchProgress } from './batch.progress.js';
import { messageBatchRows } from './message-batch.results.js';
import { openAIBatchRows } from './openai-batch.output.js';

/** How a batch ends once nothing of it runs any more. */
export type BatchEnding = 'completed' | 'cancelled' | 'expired';

export interface WrittenFiles {
  output_file_id: string | null;
  error_file_id: string | null;
  request_counts: { total: number; completed: number; failed: number };
  /** An Anthropic Message Batch's: its results by kind. */
  result_counts?: ResultCounts;
}

/**
 * Writes a finished batch's answers, in input order: for OpenAI's Batch API its output and error files (see
 * openAIBatchRows), for an Anthropic Message Batch its one results file (see messageBatchRows, whose id is the
 * `output_file_id`). The files have ids derived from the batch id, so writing again after a crash replaces them
 * instead of adding files.
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
    const edge = this.edges.of(apiOfEndpoint(b.endpoint));
    const lines = await this.endedLines(b, ending, neverRun);
    const put = async (what: string, purpose: string, rows: unknown[]) =>
      rows.length === 0 ? null : (await this.files.put(b.tenant, { id: `file-${derivedId(b.id, what)}`, filename: `${b.id}_${what}.jsonl`, purpose, data: jsonl(rows) })).id;
    const total = b.request_counts.total;
    if (b.endpoint === MESSAGES_ENDPOINT) {
      const { rows, counts } = messageBatchRows(lines, ending, edge);
      return { output_file_id: await put('results', MESSAGE_BATCH_PURPOSE, rows), error_file_id: null, request_counts: { total, completed: counts.succeeded, failed: total - counts.succeeded }, result_counts: counts };
    }
    const { out, errors } = openAIBatchRows(b.id, lines, ending, edge);
    return {
      output_file_id: await put('output', 'batch_output', out),
      error_file_id: await put('error', 'batch_output', errors),
      request_counts: { total, completed: out.length, failed: errors.length },
    };
  }

  /** Every line and what became of it: a request still unfinished (or cancelled by the batch) when it ends was stopped by it. */
  private async endedLines(b: BatchRecord, ending: BatchEnding, neverRun: () => Promise<string[]>): Promise<EndedLine[]> {
    const lines: EndedLine[] = [];
    for (let n = 0; n < b.chunks; n++) {
      const entries: LineEntry[] = await this.progress.entries(b, n);
      const states = await this.progress.states(b.tenant, entries);
      entries.forEach((e, j) => {
        const r = states[j];
        let outcome: LineOutcome;
        if (e.error) outcome = { kind: 'refused', error: e.error };
        else if (!r) outcome = { kind: 'gone', requestId: e.id! };
        else if (!isTerminal(r.status) || (r.status === Status.Cancelled && ending !== 'completed')) outcome = { kind: 'stopped' };
        else outcome = { kind: 'finished', record: r };
        lines.push({ index: n * CHUNK_LINES + j, custom_id: e.c, outcome });
      });
    }
    const reached = b.chunks * CHUNK_LINES;
    if (reached < b.request_counts.total) {
      (await neverRun()).slice(reached).forEach((c, k) => lines.push({ index: reached + k, custom_id: c, outcome: { kind: 'stopped' } }));
    }
    return lines;
  }
}

import { Injectable } from '@nestjs/common';
import { isTerminal, Status, type RequestRecord } from '@reqrun/contracts';
import { derivedId, FileStore, CHUNK_LINES, type BatchRecord, type LineEntry, type ResultCounts } from '@reqrun/store';
import { ApiEdges } from '../submit/api-edges.js';
import { apiOfEndpoint, MESSAGE_BATCH_PURPOSE, MESSAGES_ENDPOINT } from './batch-endpoints.js';
import { batchLine } from './batch-input.js';
import type { RawLine } from './batch.line-reader.js';
import { jsonl, type EndedLine, type LineOutcome } from './batch.lines.js';
import { BatchProgress } from './batch.progress.js';
import { messageBatchRows } from './message-batch.results.js';
import { openAIBatchRow } from './openai-batch.output.js';

/** How a batch ends once nothing of it runs any more. */
export type BatchEnding = 'completed' | 'cancelled' | 'expired';

export interface WrittenFiles {
  output_file_id: string | null;
  error_file_id: string | null;
  request_counts: { total: number; completed: number; failed: number };
  /** An Anthropic Message Batch's: its results by kind. */
  result_counts?: ResultCounts;
}

/** The input file's lines as they are read, or null when it is gone. */
export type InputLines = () => Promise<AsyncIterable<RawLine> | null>;

/** Where OpenAI's first pass (the output file) put a line, for the second (the error file). */
const IN_OUTPUT = 1;
const STOPPED = 2;

const STOPPED_LINE: LineOutcome = { kind: 'stopped' };

/**
 * Writes a finished batch's answers, in input order: for OpenAI's Batch API its output and error files (see
 * openAIBatchRow), for an Anthropic Message Batch its one results file (see messageBatchRows, whose id is the
 * `output_file_id`). The files have ids derived from the batch id, so writing again after a crash replaces them
 * instead of adding files. Each file is written as a stream, made a chunk of lines at a time (their entries, their
 * records, their rows), so one chunk's answers are held while the next is read, whatever the batch's size.
 */
@Injectable()
export class BatchOutput {
  constructor(
    private readonly files: FileStore,
    private readonly progress: BatchProgress,
    private readonly edges: ApiEdges,
  ) {}

  /** `input`: the input file's lines, read for the custom ids of the lines the fan-out did not reach (only when there are some). */
  async write(b: BatchRecord, ending: BatchEnding, input: InputLines): Promise<WrittenFiles> {
    const edge = this.edges.of(apiOfEndpoint(b.endpoint));
    const total = b.request_counts.total;
    if (b.endpoint === MESSAGES_ENDPOINT) {
      const counts: ResultCounts = { succeeded: 0, errored: 0, canceled: 0, expired: 0 };
      const results = this.rows(b, ending, input, (lines) => {
        const r = messageBatchRows(lines, ending, edge);
        for (const k of Object.keys(counts) as (keyof ResultCounts)[]) counts[k] += r.counts[k];
        return r.rows;
      });
      const output_file_id = await this.put(b, 'results', MESSAGE_BATCH_PURPOSE, results);
      return { output_file_id, error_file_id: null, request_counts: { total, completed: counts.succeeded, failed: total - counts.succeeded }, result_counts: counts };
    }
    // Two passes, a file each. The first notes where each line went, so the second writes every line the first did
    // not, as the first saw it (a line stopped then may have finished since).
    const went = new Uint8Array(b.chunks * CHUNK_LINES);
    let completed = 0;
    let failed = 0;
    const out = this.rows(b, ending, null, (lines) => lines.flatMap((l) => {
      const r = openAIBatchRow(b.id, l, ending, edge);
      went[l.index] = r.output ? IN_OUTPUT : l.outcome.kind === 'stopped' ? STOPPED : 0;
      return r.output ? [r.row] : [];
    }));
    const output_file_id = await this.put(b, 'output', 'batch_output', out, (n) => (completed += n));
    const errors = this.rows(b, ending, input, (lines) => lines.map((l) => openAIBatchRow(b.id, went[l.index] === STOPPED ? { ...l, outcome: STOPPED_LINE } : l, ending, edge).row), (i) => went[i] !== IN_OUTPUT);
    const error_file_id = await this.put(b, 'error', 'batch_output', errors, (n) => (failed += n));
    return { output_file_id, error_file_id, request_counts: { total, completed, failed } };
  }

  /**
   * A file's rows, a chunk of lines at a time, in input order: `rowsOf` makes a chunk's rows from its ended lines
   * (those `pick` keeps). The lines the fan-out did not reach follow, as stopped, when `input` is given.
   */
  private async *rows(b: BatchRecord, ending: BatchEnding, input: InputLines | null, rowsOf: (lines: EndedLine[]) => unknown[], pick = (_index: number) => true): AsyncGenerator<unknown[]> {
    for (let n = 0; n < b.chunks; n++) {
      const entries = (await this.progress.entries(b, n)).map((e, j) => ({ e, index: n * CHUNK_LINES + j })).filter(({ index }) => pick(index));
      if (entries.length === 0) continue;
      const states = await this.progress.states(b.tenant, entries.map(({ e }) => e));
      yield rowsOf(entries.map(({ e, index }, k) => ({ index, custom_id: e.c, outcome: outcomeOf(e, states[k], ending) })));
    }
    const reached = b.chunks * CHUNK_LINES;
    const lines = input && reached < b.request_counts.total ? await input() : null;
    if (!lines) return;
    let part: EndedLine[] = [];
    let index = 0;
    for await (const l of lines) {
      if (index >= reached) part.push({ index, custom_id: batchLine(l).custom_id, outcome: STOPPED_LINE });
      index++;
      if (part.length === CHUNK_LINES) {
        yield rowsOf(part);
        part = [];
      }
    }
    if (part.length > 0) yield rowsOf(part);
  }

  /** Writes the rows as a JSONL file (none: no file, null), as a stream read a chunk at a time; `counted` is told each chunk's number of rows. */
  private async put(b: BatchRecord, what: string, purpose: string, rows: AsyncGenerator<unknown[]>, counted = (_n: number) => {}): Promise<string | null> {
    const next = async (): Promise<Uint8Array | null> => {
      for (let r = await rows.next(); !r.done; r = await rows.next()) {
        counted(r.value.length);
        if (r.value.length > 0) return jsonl(r.value);
      }
      return null;
    };
    let first = await next();
    if (!first) return null;
    const data = new ReadableStream<Uint8Array>({
      async pull(c) {
        const bytes = first ?? (await next());
        first = null;
        if (bytes) c.enqueue(bytes);
        else c.close();
      },
      async cancel() {
        await rows.return(undefined);
      },
    });
    return (await this.files.put(b.tenant, { id: `file-${derivedId(b.id, what)}`, filename: `${b.id}_${what}.jsonl`, purpose, data })).id;
  }
}

/** What became of a line: a request still unfinished (or cancelled by the batch) when it ends was stopped by it. */
function outcomeOf(e: LineEntry, r: RequestRecord | null, ending: BatchEnding): LineOutcome {
  if (e.error) return { kind: 'refused', error: e.error };
  if (!r) return { kind: 'gone', requestId: e.id! };
  if (!isTerminal(r.status) || (r.status === Status.Cancelled && ending !== 'completed')) return STOPPED_LINE;
  return { kind: 'finished', record: r };
}

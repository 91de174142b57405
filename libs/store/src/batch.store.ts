import type { JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { createHash, randomBytes } from 'node:crypto';
import { BatchFinalStatuses } from '@reqrun/contracts';
import { changeKey } from './compare-and-set.js';

export type BatchStatus = 'validating' | 'failed' | 'in_progress' | 'finalizing' | 'completed' | 'expired' | 'cancelling' | 'cancelled';
export const FINAL_BATCH_STATUSES: ReadonlySet<BatchStatus> = new Set(BatchFinalStatuses);

/** A format error of the input file, as OpenAI lists them in `errors.data`. */
export interface BatchError {
  code: string;
  message: string;
  param: string | null;
  /** 1-based line of the input file, or null for the file as a whole. */
  line: number | null;
}

/** A batch as stored (`rr-batches` key `<tenant>.<id>`); times in ms, absent until reached. */
export interface BatchRecord {
  id: string;
  tenant: string;
  endpoint: string;
  input_file_id: string;
  completion_window: string;
  metadata: Record<string, string> | null;
  status: BatchStatus;
  created_at: number;
  expires_at: number;
  in_progress_at?: number;
  finalizing_at?: number;
  completed_at?: number;
  failed_at?: number;
  expired_at?: number;
  cancelling_at?: number;
  cancelled_at?: number;
  errors?: { object: 'list'; data: BatchError[] };
  output_file_id?: string | null;
  error_file_id?: string | null;
  request_counts: { total: number; completed: number; failed: number };
  /** Fan-out progress: the chunks of lines (CHUNK_LINES each) whose requests are made and recorded. */
  chunks: number;
  /** Per chunk, once every one of its lines has finished: [completed, failed]; null while some still run. */
  settled: ([number, number] | null)[];
  /** An Anthropic Message Batch, once ended: its results by Anthropic's kinds (`request_counts` has OpenAI's two). */
  result_counts?: ResultCounts;
  /** Deleted by its caller (Anthropic's DELETE): kept, final, so a late delivery of its work item finds it ended. */
  deleted_at?: number;
}

/** An Anthropic Message Batch's ended lines by result type. */
export interface ResultCounts {
  succeeded: number;
  errored: number;
  canceled: number;
  expired: number;
}

/** One line's fate, recorded at fan-out: its request (`id`), or the error the create path refused it with. */
export interface LineEntry {
  /** The line's `custom_id`. */
  c: string;
  id?: string;
  error?: { status: number; code: string; message: string; param: string | null };
}

/**
 * The work item on `rr.batch.<id>`, one per batch while it runs: the batch as first stored, so a worker that never
 * finds the record (its ingress died between the two writes) can store it as failed in its place.
 */
export type BatchItem = BatchRecord;

/** Lines per chunk key: 500 entries stay well under a NATS message even with long custom ids and error messages. */
export const CHUNK_LINES = 500;

/** OpenAI's batch id shape: `batch_` and 24 alphanumerics; the first 10 are the creation time, so ids sort by age. */
export const BATCH_ID_PATTERN = /^batch_[0-9A-Za-z]{24}$/;
/** An Anthropic Message Batch's id: the same, after `msgbatch_`. Both kinds share the bucket; each API sees its own. */
export const MESSAGE_BATCH_ID_PATTERN = /^msgbatch_[0-9A-Za-z]{24}$/;
const isBatchId = (id: string) => BATCH_ID_PATTERN.test(id) || MESSAGE_BATCH_ID_PATTERN.test(id);

export function newBatchId(now = Date.now(), prefix: 'batch_' | 'msgbatch_' = 'batch_'): string {
  const time = now.toString(36).padStart(10, '0');
  const rand = randomBytes(14).toString('base64').replace(/[^0-9A-Za-z]/g, '0').slice(0, 14);
  return `${prefix}${time}${rand}`;
}

/** A page of a tenant's batches of one kind (`pattern`), newest first: after the id `after`, or the ones just before `before`. */
export interface BatchPageQuery {
  pattern: RegExp;
  limit: number;
  after?: string;
  before?: string;
}

/** A name derived from the batch id (24 hex characters): re-running a step writes the same file or line id again. */
export const derivedId = (batchId: string, what: string, length = 24): string => createHash('sha256').update(`${batchId}:${what}`).digest('hex').slice(0, length);

const key = (tenant: string, id: string) => `${tenant}.${id}`;
const chunkKey = (tenant: string, id: string, n: number) => `${tenant}.${id}.ids.${n}`;

/**
 * Batches in the `rr-batches` KV bucket, keyed by tenant (another tenant's batch is simply not found): the batch
 * record at `<tenant>.<id>`, and the request ids of its lines, CHUNK_LINES to a key, at `<tenant>.<id>.ids.<n>`.
 * Every change of the record is a compare-and-set, so the worker's progress and a caller's cancel never undo each other.
 */
export class BatchStore {
  constructor(private readonly kv: KV) {}

  /** Stores a new batch; false when one with this id exists. */
  async create(b: BatchRecord): Promise<boolean> {
    try {
      await this.kv.create(key(b.tenant, b.id), JSON.stringify(b));
      return true;
    } catch (e) {
      if ((await this.get(b.tenant, b.id)) !== null) return false;
      throw e;
    }
  }

  async get(tenant: string, id: string): Promise<BatchRecord | null> {
    if (!isBatchId(id)) return null;
    const e = await this.kv.get(key(tenant, id));
    return e?.operation === 'PUT' ? e.json<BatchRecord>() : null;
  }

  /** Read-decide-write (see changeKey): `decide` returns the next record, or undefined to leave it. Null when there is no batch. */
  async change(tenant: string, id: string, decide: (b: BatchRecord) => BatchRecord | undefined): Promise<BatchRecord | null> {
    if (!isBatchId(id)) return null;
    const { value } = await changeKey<BatchRecord | null>(this.kv, key(tenant, id), () => null, (b) => (b ? decide(b) : undefined));
    return value;
  }

  /**
   * The tenant's batches of one kind, newest first, at most `limit`: those after the batch `after` (exclusive), or
   * the `limit` just before `before` (exclusive); `has_more` when more follow in that direction. Deleted ones are skipped.
   */
  async list(tenant: string, o: BatchPageQuery): Promise<{ data: BatchRecord[]; has_more: boolean }> {
    const ids = await this.batchIds(tenant);
    const newestFirst = ids.filter((id) => o.pattern.test(id)).sort().reverse();
    const backwards = o.after === undefined && o.before !== undefined;
    // Walking away from the cursor: older ids after `after`, newer ids (nearest first) before `before`.
    const walk = backwards ? newestFirst.filter((id) => id > o.before!).reverse() : newestFirst.filter((id) => o.after === undefined || id < o.after);
    const data: BatchRecord[] = [];
    let i = 0;
    while (data.length <= o.limit && i < walk.length) {
      const slice = walk.slice(i, i + o.limit + 1 - data.length);
      i += slice.length;
      for (const b of await Promise.all(slice.map((id) => this.get(tenant, id)))) if (b && b.deleted_at === undefined) data.push(b);
    }
    const page = data.slice(0, o.limit);
    return { data: backwards ? page.reverse() : page, has_more: data.length > o.limit };
  }

  /**
   * The ids of the tenant's batches, from one snapshot of the bucket stream's subjects: `kv.keys()` can miss or
   * repeat a key written while it lists (a running batch's record is written often).
   */
  private async batchIds(tenant: string): Promise<string[]> {
    const bucket = this.kv as KV & { jsm: JetStreamManager; stream: string };
    const head = `$KV.${bucket.stream.replace(/^KV_/, '')}.${tenant}.`;
    const info = await bucket.jsm.streams.info(bucket.stream, { subjects_filter: `${head}*` });
    return Object.keys(info.state.subjects ?? {}).map((s) => s.slice(head.length));
  }

  /** Records a chunk's lines (written once per chunk; a re-run writes the same entries again). */
  async putChunk(tenant: string, id: string, n: number, lines: LineEntry[]): Promise<void> {
    await this.kv.put(chunkKey(tenant, id, n), JSON.stringify(lines));
  }

  /** Deletes the batch's line entries (its record stays, marked deleted: see `deleted_at`). */
  async deleteChunks(tenant: string, id: string, chunks: number): Promise<void> {
    for (let n = 0; n < chunks; n++) await this.kv.delete(chunkKey(tenant, id, n));
  }

  async chunk(tenant: string, id: string, n: number): Promise<LineEntry[] | null> {
    const e = await this.kv.get(chunkKey(tenant, id, n));
    return e?.operation === 'PUT' ? e.json<LineEntry[]>() : null;
  }
}

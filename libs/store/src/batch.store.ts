import type { JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { createHash, randomBytes } from 'node:crypto';
import { changeKey } from './compare-and-set.js';

export type BatchStatus = 'validating' | 'failed' | 'in_progress' | 'finalizing' | 'completed' | 'expired' | 'cancelling' | 'cancelled';
export const FINAL_BATCH_STATUSES: ReadonlySet<BatchStatus> = new Set(['failed', 'completed', 'expired', 'cancelled']);

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

export function newBatchId(now = Date.now()): string {
  const time = now.toString(36).padStart(10, '0');
  const rand = randomBytes(14).toString('base64').replace(/[^0-9A-Za-z]/g, '0').slice(0, 14);
  return `batch_${time}${rand}`;
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
    if (!BATCH_ID_PATTERN.test(id)) return null;
    const e = await this.kv.get(key(tenant, id));
    return e?.operation === 'PUT' ? e.json<BatchRecord>() : null;
  }

  /** Read-decide-write (see changeKey): `decide` returns the next record, or undefined to leave it. Null when there is no batch. */
  async change(tenant: string, id: string, decide: (b: BatchRecord) => BatchRecord | undefined): Promise<BatchRecord | null> {
    if (!BATCH_ID_PATTERN.test(id)) return null;
    const { value } = await changeKey<BatchRecord | null>(this.kv, key(tenant, id), () => null, (b) => (b ? decide(b) : undefined));
    return value;
  }

  /** The tenant's batches, newest first, after the batch `after` (exclusive), at most `limit`; `has_more` when more follow. */
  async list(tenant: string, o: { after?: string; limit: number }): Promise<{ data: BatchRecord[]; has_more: boolean }> {
    const ids = await this.batchIds(tenant);
    const newestFirst = ids.filter((id) => BATCH_ID_PATTERN.test(id) && (o.after === undefined || id < o.after)).sort().reverse();
    const page = newestFirst.slice(0, o.limit);
    const data = (await Promise.all(page.map((id) => this.get(tenant, id)))).filter((b): b is BatchRecord => b !== null);
    return { data, has_more: newestFirst.length > o.limit };
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

  async chunk(tenant: string, id: string, n: number): Promise<LineEntry[] | null> {
    const e = await this.kv.get(chunkKey(tenant, id, n));
    return e?.operation === 'PUT' ? e.json<LineEntry[]>() : null;
  }
}

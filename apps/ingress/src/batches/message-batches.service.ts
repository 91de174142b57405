import { Injectable } from '@nestjs/common';
import { ErrorCode, notFound, ReqRunError, Window } from '@reqrun/contracts';
import { BatchStore, derivedId, FileStore, FINAL_BATCH_STATUSES, MESSAGE_BATCH_ID_PATTERN, newBatchId, type BatchRecord } from '@reqrun/store';
import { anthropicList, readAnthropicPageQuery } from '../paging/anthropic-page.js';
import { checkWindowAllowed, type Tenant } from '../security/api-keys.js';
import { MESSAGE_BATCH_PURPOSE, MESSAGES_ENDPOINT } from './batch-endpoints.js';
import { BatchControl } from './batch.control.js';
import { jsonl } from './batch.lines.js';
import { readMessageBatchRequests } from './message-batch.input.js';
import { messageBatchView } from './message-batch.view.js';

const conflict = (message: string) => new ReqRunError(ErrorCode.NotCancellable, message, 409);

/**
 * Anthropic's Message Batches API on the batch engine: the inline requests are stored as the batch's own input file
 * (lines for `/v1/messages`, purpose `message_batch`, which the Files API does not show), then the batch starts as an
 * OpenAI one does and BatchWorker runs it; the record's endpoint `/v1/messages` makes its output one results file.
 * Each tenant sees its own `msgbatch_` batches only; a deleted one is gone.
 */
@Injectable()
export class MessageBatchesService {
  constructor(
    private readonly control: BatchControl,
    private readonly batches: BatchStore,
    private readonly files: FileStore,
  ) {}

  async create(tenant: Tenant, raw: unknown, origin: string) {
    const requests = readMessageBatchRequests(raw);
    checkWindowAllowed(tenant, Window.Batch);
    const now = Date.now();
    const id = newBatchId(now, 'msgbatch_');
    const lines = requests.map((r) => ({ custom_id: r.custom_id, method: 'POST', url: MESSAGES_ENDPOINT, body: r.params }));
    // The input before the batch: a crash in between leaves a file nothing names, which expires with the bucket.
    const input = await this.files.put(tenant.name, { id: `file-${derivedId(id, 'requests')}`, filename: `${id}_requests.jsonl`, purpose: MESSAGE_BATCH_PURPOSE, data: jsonl(lines) });
    // The number of requests is known now, so a batch not yet validated shows every request as processing.
    const b = await this.control.start({ id, tenant: tenant.name, endpoint: MESSAGES_ENDPOINT, input_file_id: input.id, metadata: null, created_at: now, total: requests.length });
    return messageBatchView(b, origin);
  }

  async get(tenant: Tenant, id: string, origin: string) {
    return messageBatchView(await this.own(tenant, id), origin);
  }

  /** Newest first: `limit` (1–1000, 20), `after_id` or `before_id`. */
  async list(tenant: Tenant, query: Record<string, unknown>, origin: string) {
    const q = readAnthropicPageQuery(query);
    const { data, has_more } = await this.batches.list(tenant.name, { pattern: MESSAGE_BATCH_ID_PATTERN, limit: q.limit, after: q.after_id, before: q.before_id });
    return anthropicList(data.map((b) => messageBatchView(b, origin)), has_more);
  }

  /** `canceling` at once, `ended` once its unfinished requests are cancelled and its results written. */
  async cancel(tenant: Tenant, id: string, origin: string) {
    await this.own(tenant, id);
    const refusal = (b: BatchRecord) => conflict(FINAL_BATCH_STATUSES.has(b.status)
      ? `Message batch ${id} has already ended and cannot be canceled.`
      : `Message batch ${id} is already writing its results and cannot be canceled.`);
    const b = await this.control.cancel(tenant.name, id, refusal);
    if (!b) throw notFound(id, 'message batch');
    return messageBatchView(b, origin);
  }

  /**
   * Only an ended batch: its record is marked deleted (kept, final, so a late delivery of its work item acks it),
   * then its line entries and files are deleted.
   */
  async delete(tenant: Tenant, id: string) {
    const b = await this.own(tenant, id);
    if (!FINAL_BATCH_STATUSES.has(b.status)) {
      throw conflict(`Message batch ${id} is still processing: cancel it and wait for it to end (processing_status 'ended') before deleting it.`);
    }
    await this.batches.change(tenant.name, id, (cur) => (cur.deleted_at === undefined ? { ...cur, deleted_at: Date.now() } : undefined));
    await this.batches.deleteChunks(tenant.name, id, b.chunks);
    for (const file of [b.input_file_id, b.output_file_id]) if (file) await this.files.delete(tenant.name, file);
    return { id, type: 'message_batch_deleted' as const };
  }

  /** The results file (JSONL, in input order), once the batch has ended. */
  async results(tenant: Tenant, id: string): Promise<{ bytes: number; data: ReadableStream<Uint8Array> }> {
    const b = await this.own(tenant, id);
    if (!FINAL_BATCH_STATUSES.has(b.status) || !b.output_file_id) {
      throw conflict(`Message batch ${id} has not ended yet: its results are available once its processing_status is 'ended'.`);
    }
    const results = await this.files.content(tenant.name, b.output_file_id);
    if (!results) throw notFound(id, 'results for message batch');
    return { bytes: results.file.bytes, data: results.data };
  }

  /** The caller's batch: another tenant's, a deleted one, an OpenAI batch's id or a malformed one is a 404. */
  private async own(tenant: Tenant, id: string): Promise<BatchRecord> {
    const b = MESSAGE_BATCH_ID_PATTERN.test(id) ? await this.batches.get(tenant.name, id) : null;
    if (!b || b.deleted_at !== undefined) throw notFound(id, 'message batch');
    return b;
  }
}

import { Injectable } from '@nestjs/common';
import { badRequest, ErrorCode, notFound, ReqRunError, Window } from '@reqrun/contracts';
import { BATCH_ID_PATTERN, BatchStore, FileStore, newBatchId, type BatchRecord } from '@reqrun/store';
import { openAIList } from '../paging/list.page.js';
import { readPageQuery } from '../paging/page.query.js';
import { checkWindowAllowed, type Tenant } from '../security/api-keys.js';
import { BATCH_ENDPOINTS, BATCH_WINDOW } from './batch-endpoints.js';
import { BatchControl } from './batch.control.js';
import { batchView } from './batch.view.js';

/** The Batch API's routes: create (stored, then run by BatchWorker), read, list, cancel; each tenant sees its own only. */
@Injectable()
export class BatchesService {
  constructor(
    private readonly control: BatchControl,
    private readonly batches: BatchStore,
    private readonly files: FileStore,
  ) {}

  async create(tenant: Tenant, raw: unknown) {
    const req = await this.readCreate(tenant, raw);
    const now = Date.now();
    const b = await this.control.start({ id: newBatchId(now), tenant: tenant.name, ...req, created_at: now, total: 0 });
    return batchView(b);
  }

  async get(tenant: Tenant, id: string) {
    const b = BATCH_ID_PATTERN.test(id) ? await this.batches.get(tenant.name, id) : null;
    if (!b) throw notFound(id, 'batch');
    return batchView(b);
  }

  async list(tenant: Tenant, query: Record<string, unknown>) {
    const page = readPageQuery(query);
    const { data, has_more } = await this.batches.list(tenant.name, { pattern: BATCH_ID_PATTERN, limit: page.limit, after: page.after });
    return openAIList(data.map(batchView), has_more);
  }

  /** `cancelling` at once; the worker cancels the batch's unfinished requests and makes it `cancelled`. */
  async cancel(tenant: Tenant, id: string) {
    const refusal = (cur: BatchRecord) => new ReqRunError(ErrorCode.NotCancellable, `Batch ${id} is already ${cur.status} and cannot be cancelled.`, 409);
    const b = BATCH_ID_PATTERN.test(id) ? await this.control.cancel(tenant.name, id, refusal) : null;
    if (!b) throw notFound(id, 'batch');
    return batchView(b);
  }

  private async readCreate(tenant: Tenant, raw: unknown) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw badRequest('The body must be a JSON object.');
    const { input_file_id, endpoint, completion_window, metadata } = raw as Record<string, unknown>;
    if (typeof input_file_id !== 'string' || input_file_id === '') throw badRequest("'input_file_id' is required: the id of a file uploaded with purpose 'batch'.", 'input_file_id');
    const served = Object.keys(BATCH_ENDPOINTS);
    if (typeof endpoint !== 'string' || !Object.hasOwn(BATCH_ENDPOINTS, endpoint)) {
      throw badRequest(`'endpoint' must be one of ${served.map((e) => `'${e}'`).join(', ')}: the endpoints ReqRun runs batches for.`, 'endpoint');
    }
    if (completion_window !== BATCH_WINDOW) throw badRequest(`'completion_window' must be '${BATCH_WINDOW}'.`, 'completion_window');
    checkWindowAllowed(tenant, Window.Batch);
    const file = await this.files.get(tenant.name, input_file_id);
    if (!file) throw notFound(input_file_id, 'file', 'input_file_id');
    if (file.purpose !== 'batch') throw badRequest(`The file ${input_file_id} has purpose '${file.purpose}'; a batch's input file must have purpose 'batch'.`, 'input_file_id');
    return { input_file_id, endpoint, metadata: readMetadata(metadata) };
  }
}

/** OpenAI's metadata: up to 16 string values, keys up to 64 characters, values up to 512. */
function readMetadata(v: unknown): Record<string, string> | null {
  if (v === undefined || v === null) return null;
  const bad = () => badRequest("'metadata' must be an object of at most 16 string values (keys up to 64 characters, values up to 512).", 'metadata');
  if (typeof v !== 'object' || Array.isArray(v)) throw bad();
  const entries = Object.entries(v);
  if (entries.length > 16 || entries.some(([k, x]) => k.length > 64 || typeof x !== 'string' || x.length > 512)) throw bad();
  return Object.fromEntries(entries) as Record<string, string>;
}

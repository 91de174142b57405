import { Inject, Injectable } from '@nestjs/common';
import type { Config } from '@reqrun/config';
import { ErrorCode, ReqRunError } from '@reqrun/contracts';
import { CONFIG, Nats } from '@reqrun/runtime';
import { BatchStore, type BatchItem, type BatchRecord } from '@reqrun/store';
import { unavailable } from '../errors/to-reqrun-error.js';
import { BATCH_WINDOW } from './batch-endpoints.js';

/** What a batch API knows of a new batch; the rest of its record is the same for both. */
export type NewBatch = Pick<BatchRecord, 'id' | 'tenant' | 'endpoint' | 'input_file_id' | 'metadata' | 'created_at'> & {
  /** Its number of requests when known now (an Anthropic batch's), else 0 until its file is read. */
  total: number;
};

/** A batch may be cancelled while it has not started finishing; cancelling a cancelled one is a no-op. */
const CANCELLABLE = new Set(['validating', 'in_progress']);

/** What both batch APIs do to a batch's run: start it (the two writes, in their crash-safe order), ask it to cancel. */
@Injectable()
export class BatchControl {
  constructor(@Inject(CONFIG) private readonly config: Config, private readonly nats: Nats, private readonly batches: BatchStore) {}

  /** Stores a new batch (`validating`, expiring `batches.window_s` after its creation) for BatchWorker to run. */
  async start({ total, ...n }: NewBatch): Promise<BatchRecord> {
    if (!this.nats.connected) throw unavailable();
    const b: BatchRecord = {
      ...n, completion_window: BATCH_WINDOW, status: 'validating', expires_at: n.created_at + this.config.batches.window_s * 1000,
      request_counts: { total, completed: 0, failed: 0 }, chunks: 0, settled: [],
    };
    // The work item first, then the record: a crash between the two leaves an item without a record, which the worker
    // drops after a while (the caller never got the id); the other order could leave a batch that nothing runs.
    await this.nats.bus.persist(this.nats.names.batch(b.id), b satisfies BatchItem, b.id);
    if (!(await this.batches.create(b))) {
      // This ingress stalled so long between the two writes that the worker gave the batch up (see BatchWorker).
      throw new ReqRunError(ErrorCode.Unavailable, 'The batch could not be stored in time; create it again.', 503);
    }
    return b;
  }

  /**
   * `cancelling` at once (the worker cancels the batch's unfinished requests and makes it `cancelled`); a batch past
   * cancelling is refused with `refusal`'s error. Null when there is no such batch.
   */
  cancel(tenant: string, id: string, refusal: (b: BatchRecord) => Error): Promise<BatchRecord | null> {
    return this.batches.change(tenant, id, (cur) => {
      if (cur.status === 'cancelling' || cur.status === 'cancelled') return undefined;
      if (!CANCELLABLE.has(cur.status)) throw refusal(cur);
      return { ...cur, status: 'cancelling', cancelling_at: Date.now() };
    });
  }
}

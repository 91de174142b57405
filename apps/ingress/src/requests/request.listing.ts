import { Injectable } from '@nestjs/common';
import { badRequest, isRequestId, type RequestRecord } from '@reqrun/contracts';
import { RequestIndex, RequestStore, type IndexEntry } from '@reqrun/store';
import type { ListQuery } from './list.query.js';
import { requestView } from './request.view.js';

/** Index entries one page may look at: a filter that matches little returns a short page (`has_more`) instead of reading on. */
export const MAX_EXAMINED = 10_000;
/** Records read at once while a status filter looks for matches. */
const MIN_BATCH = 16;

/** A listed request: its view without the result (reading one request by id gives it). */
export type ListedRequest = Omit<ReturnType<typeof requestView>, 'result'>;

export interface RequestList {
  object: 'list';
  data: ListedRequest[];
  first_id: string | null;
  /** The id to pass as `after` for the next page: the last one listed, or the last one looked at when a filter hid the rest. */
  last_id: string | null;
  has_more: boolean;
}

/** A tenant's requests, a page at a time, in the order they were stored (newest first by default). */
@Injectable()
export class RequestListing {
  constructor(private readonly index: RequestIndex, private readonly store: RequestStore) {}

  async list(tenant: string, q: ListQuery): Promise<RequestList> {
    let at: number | undefined;
    if (q.after !== undefined) {
      at = (isRequestId(q.after) ? await this.index.position(tenant, q.after) : null) ?? undefined;
      if (at === undefined) throw badRequest(`'after' must be the id of one of your requests from an earlier page; ${q.after} is not.`, 'after');
    }
    const entries = q.order === 'asc' ? this.index.oldestFirst(tenant, at) : this.index.newestFirst(tenant, at);
    const found: RequestRecord[] = [];
    let batch: IndexEntry[] = [];
    const readBatch = async () => {
      const records = await Promise.all(batch.map((e) => this.store.get(tenant, e.id)));
      // A deleted or expired request leaves its index entry behind: it is not listed.
      for (const r of records) if (r && (q.status === undefined || r.status === q.status)) found.push(r);
      batch = [];
    };
    let examined = 0;
    let stoppedAt: string | undefined;
    for await (const e of entries) {
      examined++;
      if ((q.model === undefined || e.model === q.model) && (q.window === undefined || e.window === q.window)) batch.push(e);
      if (batch.length >= Math.max(MIN_BATCH, q.limit + 1 - found.length)) await readBatch();
      if (found.length > q.limit) break;
      if (examined >= MAX_EXAMINED) {
        stoppedAt = e.id;
        break;
      }
    }
    await readBatch();
    const more = found.length > q.limit || stoppedAt !== undefined;
    const data = found.slice(0, q.limit).map(listed);
    const last = found.length > q.limit ? data.at(-1)!.id : (stoppedAt ?? data.at(-1)?.id ?? null);
    return { object: 'list', data, first_id: data[0]?.id ?? null, last_id: last, has_more: more };
  }
}

function listed(r: RequestRecord): ListedRequest {
  const { result: _result, ...view } = requestView(r);
  return view;
}

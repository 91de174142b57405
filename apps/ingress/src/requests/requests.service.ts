import { Injectable } from '@nestjs/common';
import { ErrorCode, isRequestId, notFound, ReqRunError, Status, type RequestRecord } from '@reqrun/contracts';
import { Lifecycle } from '@reqrun/runtime';
import { RequestStore } from '@reqrun/store';

/** Reads and cancels requests by id, for their own tenant only. */
@Injectable()
export class RequestsService {
  constructor(private readonly store: RequestStore, private readonly lifecycle: Lifecycle) {}

  async get(tenant: string, id: string): Promise<RequestRecord> {
    const r = isRequestId(id) ? await this.store.get(tenant, id) : null;
    if (!r) throw notFound(id);
    return r;
  }

  /** Idempotent: cancelling a cancelled request returns it as it is. */
  async cancel(tenant: string, id: string): Promise<RequestRecord> {
    const t = isRequestId(id) ? await this.store.transition(tenant, id, { type: 'cancel' }) : null;
    if (!t) throw notFound(id);
    if (t.changed) this.lifecycle.changed(t.record);
    else if (t.record.status !== Status.Cancelled) {
      throw new ReqRunError(ErrorCode.NotCancellable, `Request ${id} is already ${t.record.status} and cannot be cancelled.`, 409);
    }
    return t.record;
  }
}

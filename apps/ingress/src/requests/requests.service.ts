import { Injectable } from '@nestjs/common';
import { ErrorCode, isRequestId, notFound, ReqRunError, Status, type RequestRecord } from '@reqrun/contracts';
import { setRequestId } from '@reqrun/messaging';
import { Lifecycle } from '@reqrun/runtime';
import { RequestStore } from '@reqrun/store';

/** Reads, cancels and deletes requests by id, for their own tenant only. */
@Injectable()
export class RequestsService {
  constructor(private readonly store: RequestStore, private readonly lifecycle: Lifecycle) {}

  /** The record, or null for an unknown id or another tenant's. */
  async find(tenant: string, id: string): Promise<RequestRecord | null> {
    if (!isRequestId(id)) return null;
    setRequestId(id);
    return this.store.get(tenant, id);
  }

  async get(tenant: string, id: string): Promise<RequestRecord> {
    const r = await this.find(tenant, id);
    if (!r) throw notFound(id);
    return r;
  }

  /** Idempotent: cancelling a cancelled request returns it as it is. */
  async cancel(tenant: string, id: string): Promise<RequestRecord> {
    const r = await this.stop(tenant, id);
    if (!r) throw notFound(id);
    if (r.status !== Status.Cancelled) {
      throw new ReqRunError(ErrorCode.NotCancellable, `Request ${id} is already ${r.status} and cannot be cancelled.`, 409);
    }
    return r;
  }

  /** Removes the record; a request still queued or running is cancelled first, so its provider call is aborted. */
  async delete(tenant: string, id: string): Promise<RequestRecord> {
    await this.stop(tenant, id);
    const r = isRequestId(id) ? await this.store.delete(tenant, id) : null;
    if (!r) throw notFound(id);
    return r;
  }

  /** Cancels the request unless it has finished; its state after that, or null when there is no such request. */
  private async stop(tenant: string, id: string): Promise<RequestRecord | null> {
    const t = isRequestId(id) ? await this.store.transition(tenant, id, { type: 'cancel' }) : null;
    if (t?.changed) this.lifecycle.changed(t.record);
    return t?.record ?? null;
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { chunkMsgId, ErrorCode, isRequestId, notFound, ReqRunError, Status, type RequestRecord } from '@reqrun/contracts';
import { setRequestId } from '@reqrun/messaging';
import { Lifecycle, LOGGER, Nats, type Logger } from '@reqrun/runtime';
import { RequestStore } from '@reqrun/store';
import { cancelChunk } from '../streaming/chunk.reader.js';

/** Reads, cancels and deletes requests by id, for their own tenant only. */
@Injectable()
export class RequestsService {
  constructor(
    private readonly store: RequestStore,
    private readonly lifecycle: Lifecycle,
    @Inject(Nats) private readonly nats: Nats,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

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
    if (t?.changed) {
      if (t.record.body.stream === true) await this.endStream(t.record);
      this.lifecycle.changed(t);
    }
    return t?.record ?? null;
  }

  /**
   * A streamed request's stream ends at the cancel (see cancelChunk), stored before the wake-up so every reader it
   * wakes finds it. If it cannot be stored, readers end the stream from the record alone, as before chunks existed.
   */
  private async endStream(r: RequestRecord): Promise<void> {
    const c = cancelChunk(r);
    await this.nats.bus.persist(this.nats.names.chunk(r.id), c, chunkMsgId(r.id, c))
      .catch((err) => this.log.warn({ err, request_id: r.id }, 'could not end the stream of a cancelled request'));
  }
}

import type { KV } from '@nats-io/kv';
import { decide, ErrorCode, ReqRunError, type Clock, type RequestEvent, type RequestRecord } from '@reqrun/contracts';
import { isPayloadTooLarge, isWrongLastSequence } from '@reqrun/messaging';

export interface Versioned {
  record: RequestRecord;
  /** KV revision the record was read or written at. */
  revision: number;
}

export interface Transition extends Versioned {
  /** False when the event was not a legal move: `record` is then the current, unchanged state. */
  changed: boolean;
}

/** The request record in KV: created once, then changed only by compare-and-set through `decide`. */
export class RequestStore {
  constructor(private readonly kv: KV, private readonly clock: Clock) {}

  /** Writes a new record; false when one with this id exists already. */
  async create(r: RequestRecord): Promise<boolean> {
    try {
      await this.kv.create(r.id, JSON.stringify(r));
      return true;
    } catch (e) {
      if (isWrongLastSequence(e)) return false;
      if (isPayloadTooLarge(e)) throw tooLarge();
      throw e;
    }
  }

  /** The record, or null when it does not exist or belongs to another tenant. */
  async get(tenant: string, id: string): Promise<RequestRecord | null> {
    return (await this.read(tenant, id))?.record ?? null;
  }

  /**
   * Applies one event with compare-and-set, re-reading and deciding again on a lost race. Null when no such record.
   * `known` (what this process last read or wrote) saves the first read; a stale one only costs the lost race.
   */
  async transition(tenant: string, id: string, ev: RequestEvent, known?: Versioned): Promise<Transition | null> {
    let current = known ?? (await this.read(tenant, id));
    for (;;) {
      if (!current) return null;
      const next = decide(current.record, ev, this.clock.now());
      if (!next) return { ...current, changed: false };
      try {
        const revision = await this.kv.update(id, JSON.stringify(next), current.revision);
        return { record: next, revision, changed: true };
      } catch (e) {
        if (isPayloadTooLarge(e)) throw tooLarge();
        if (!isWrongLastSequence(e)) throw e;
      }
      current = await this.read(tenant, id);
    }
  }

  /** Removes the record (value and history) and returns what it held; null when no such record or another tenant's. */
  async delete(tenant: string, id: string): Promise<RequestRecord | null> {
    for (;;) {
      const current = await this.read(tenant, id);
      if (!current) return null;
      try {
        await this.kv.purge(id, { previousSeq: current.revision });
        return current.record;
      } catch (e) {
        if (!isWrongLastSequence(e)) throw e; // changed meanwhile: read it again
      }
    }
  }

  private async read(tenant: string, id: string): Promise<Versioned | null> {
    const e = await this.kv.get(id);
    if (!e || e.operation !== 'PUT') return null;
    const record = e.json<RequestRecord>();
    return record.tenant === tenant ? { record, revision: e.revision } : null;
  }
}

const tooLarge = () => new ReqRunError(ErrorCode.BodyTooLarge, 'The request is too large to store; send a smaller body.', 413);

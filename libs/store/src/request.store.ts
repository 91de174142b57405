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

/** The JSON each record object was stored as, by this process: the terminal wake-up sends it again without re-serializing. */
const written = new WeakMap<RequestRecord, string>();

/** `r` as this process stored it (the same object `create` or `transition` returned), or a fresh serialization. */
export const storedJson = (r: RequestRecord): string => written.get(r) ?? JSON.stringify(r);

/** The request record in KV: created once, then changed only by compare-and-set through `decide`. */
export class RequestStore {
  constructor(private readonly kv: KV, private readonly clock: Clock) {}

  /** Writes a new record: its revision, or 0 when one with this id exists already. `json`: `r` already serialized, when the caller has it. */
  async create(r: RequestRecord, json = JSON.stringify(r)): Promise<number> {
    try {
      const revision = await this.kv.create(r.id, json);
      written.set(r, json);
      return revision;
    } catch (e) {
      if (isWrongLastSequence(e)) return 0;
      if (isPayloadTooLarge(e)) throw tooLarge();
      throw e;
    }
  }

  /**
   * Writes `r` (an abandoned submission's failed record) only where no record ever was: not over a record written
   * meanwhile (`exists`), nor over a deleted one's marker (`gone`: a deleted request must not come back).
   */
  async abandon(r: RequestRecord): Promise<'written' | 'exists' | 'gone'> {
    try {
      await this.kv.put(r.id, JSON.stringify(r), { previousSeq: 0 });
      return 'written';
    } catch (e) {
      if (!isWrongLastSequence(e)) throw e;
    }
    return (await this.kv.get(r.id))?.operation === 'PUT' ? 'exists' : 'gone';
  }

  /** The record, or null when it does not exist or belongs to another tenant. */
  async get(tenant: string, id: string): Promise<RequestRecord | null> {
    return (await this.read(tenant, id))?.record ?? null;
  }

  /** The record with the revision it was read at (a KV read may come from a replica that lags behind a write). */
  async getVersioned(tenant: string, id: string): Promise<Versioned | null> {
    return this.read(tenant, id);
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
        const json = JSON.stringify(next);
        const revision = await this.kv.update(id, json, current.revision);
        written.set(next, json);
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

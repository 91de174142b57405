import { DeliverPolicy, jetstream, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Api, Names, RequestRecord, Window } from '@reqrun/contracts';
import { BackgroundPersister, lastMessage, managerOf } from '@reqrun/messaging';

/** What the index holds of a request: enough to filter a listing by model and window without reading its record. */
export interface IndexEntry {
  id: string;
  api: Api;
  model: string;
  window: Window;
  created_at: number;
}

/** The first stretch of the stream (in sequence numbers) a newest-first read looks at, and the widest it grows to. */
const FIRST_SPAN = 256;
const MAX_SPAN = 65_536;

/**
 * Every request by tenant, in the order they were stored: one message per request on `rr.index.<tenant>.<id>` in
 * the index stream. The request bucket is keyed by id alone, so this is what a listing reads. JetStream reads a
 * stream forward only, so newest first reads stretches of the stream backwards from the end, each forward.
 */
export class RequestIndex {
  private readonly js: JetStreamClient;
  private readonly writer: BackgroundPersister;

  /** `onLost`: an entry that could not be stored (its request runs, but is not listed). */
  constructor(private readonly nc: NatsConnection, private readonly names: Names, onLost: (subject: string, why: string) => void) {
    this.js = jetstream(nc);
    this.writer = new BackgroundPersister(nc, onLost);
  }

  /**
   * Adds a new request without waiting for the write (sent again until stored; adding it again is a no-op, its id
   * is the msgID). Sent with the record and the submission, it is stored with them; a listing is not the request's
   * truth, and an awaited write here cost ~30 % of the ingress's acceptance rate.
   */
  add(r: RequestRecord): void {
    const e: IndexEntry = { id: r.id, api: r.api, model: r.model, window: r.window, created_at: r.created_at };
    this.writer.persist(this.names.index(r.tenant, r.id), e, r.id);
  }

  /** Waits a bounded time for the entries sent so far to be stored (at shutdown). */
  close(): Promise<void> {
    return this.writer.close();
  }

  /** Where a tenant's request is in the index (a cursor), or null when the index does not hold it (unknown, another tenant's, expired). */
  async position(tenant: string, id: string): Promise<number | null> {
    return (await lastMessage(this.nc, this.names.indexStream, this.names.index(tenant, id)))?.seq ?? null;
  }

  /** A tenant's requests, oldest first, after position `after` (0: from the first). */
  oldestFirst(tenant: string, after = 0): AsyncGenerator<IndexEntry> {
    return this.read(tenant, after + 1, Infinity);
  }

  /** A tenant's requests, newest first, before position `before` (absent: from the newest). */
  async *newestFirst(tenant: string, before?: number): AsyncGenerator<IndexEntry> {
    const { first_seq: first, last_seq: last } = (await (await managerOf(this.nc)).streams.info(this.names.indexStream)).state;
    let end = Math.min(before ?? Infinity, last + 1);
    for (let span = FIRST_SPAN; end > first; span = Math.min(span * 4, MAX_SPAN)) {
      const start = Math.max(first, end - span);
      const stretch: IndexEntry[] = [];
      for await (const e of this.read(tenant, start, end)) stretch.push(e);
      for (let i = stretch.length - 1; i >= 0; i--) yield stretch[i];
      end = start;
    }
  }

  /** The tenant's entries at positions from `from` up to (not including) `to`, in order. */
  private async *read(tenant: string, from: number, to: number): AsyncGenerator<IndexEntry> {
    const stream = this.names.indexStream;
    const filter = this.names.indexTenant(tenant);
    // A consumer waits for a message that may never come: the first match says whether there is anything to read.
    const first = await (await managerOf(this.nc)).streams.getMessage(stream, { seq: from, next_by_subj: filter } as { seq: number });
    if (!first || first.seq >= to) return;
    const consumer = await this.js.consumers.get(stream, {
      filter_subjects: filter, // one subject: filter_subject, which nats-server 2.9 knows
      deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: first.seq,
    });
    const messages = await consumer.consume({ max_messages: 256 });
    try {
      for await (const m of messages) {
        if (m.seq >= to) return;
        const e = entryOf(m);
        if (e) yield e;
        if (m.info.pending === 0 || m.seq === to - 1) return;
      }
    } finally {
      messages.stop();
    }
  }
}

function entryOf(m: JsMsg): IndexEntry | null {
  try {
    const e = m.json<IndexEntry>();
    return typeof e?.id === 'string' ? e : null;
  } catch {
    return null;
  }
}

import { Injectable } from '@nestjs/common';
import { webhookEventId, type BatchEvent, type BatchFinalStatus } from '@reqrun/contracts';
import { Nats } from '@reqrun/runtime';
import { BATCH_ID_PATTERN, FINAL_BATCH_STATUSES, type BatchRecord } from '@reqrun/store';

/**
 * The event telling an OpenAI batch's end, from its final record: null while it runs, and for an Anthropic Message
 * Batch (same worker and bucket), which OpenAI's `batch.*` events do not describe and Anthropic tells by no webhook.
 */
export function batchEvent(b: BatchRecord): BatchEvent | null {
  if (!FINAL_BATCH_STATUSES.has(b.status) || !BATCH_ID_PATTERN.test(b.id)) return null;
  const status = b.status as BatchFinalStatus;
  return { id: b.id, object: 'batch', tenant: b.tenant, status, at: b[`${status}_at`] ?? b.created_at };
}

/**
 * Tells a batch's end on the events stream (`rr.event.batch_<status>.<id>`, which feeds the webhooks), after the final
 * status is stored. Told again by any delivery that finds the batch final (a crash may have come between the two):
 * the `Nats-Msg-Id` is the event id, so the stream drops a repeat within its duplicate window, and the webhooks'
 * delivery records (keyed by the same id) and receivers de-duplicate anything later.
 */
@Injectable()
export class BatchEvents {
  constructor(private readonly nats: Nats) {}

  /** Publishes the end of a final batch (nothing for one still running); false when the stream had it already. */
  async told(b: BatchRecord): Promise<boolean> {
    const ev = batchEvent(b);
    if (!ev) return false;
    return this.nats.bus.persist(this.nats.names.batchEvent(ev.status, ev.id), ev, webhookEventId(ev.id, ev.status));
  }
}

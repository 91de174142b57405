import { ErrorCode } from './errors.js';
import { Status, type RequestRecord } from './request-state.js';
import type { SubmitItem } from './messages.js';

/**
 * A new request's submission is published before its record is written, so a crash between the two can leave a
 * submission without a record but never a record without a submission. A worker that finds no record for a first
 * attempt waits for it (an ingress may simply not have written it yet), then, `abandonAfterMs` after acceptance,
 * abandons the submission: its ingress died or stalled between the two steps, and its caller got an error or
 * nothing, never the id. Pure: the wait grows with the submission's age (half of it, between 10 ms and 2 s).
 */
export function whileNoRecord(createdAt: number | undefined, now: number, abandonAfterMs: number): { kind: 'wait'; ms: number } | { kind: 'abandon' } {
  if (createdAt === undefined) return { kind: 'abandon' }; // an item from before this order: its record was written first, so it is gone
  const age = now - createdAt;
  if (age >= abandonAfterMs) return { kind: 'abandon' };
  return { kind: 'wait', ms: Math.max(1, Math.min(Math.max(10, age / 2), 2000, abandonAfterMs - age)) };
}

/**
 * What an abandoned submission leaves in the record's place: a failed record, written only where no record ever was
 * (KV create), so the ingress that comes back late cannot create a queued record nobody will run: its create fails,
 * and it answers with this error. A retry with the same idempotency key finds it too.
 */
export function abandonedRecord(item: Pick<SubmitItem, 'id' | 'tenant' | 'api' | 'model' | 'window' | 'created_at'>, now: number): RequestRecord {
  return {
    id: item.id, tenant: item.tenant, api: item.api, model: item.model, window: item.window, status: Status.Failed, body: {},
    created_at: item.created_at ?? now, updated_at: now, ended_at: now, attempts: 0, history: [],
    error: {
      code: ErrorCode.NotStored,
      message: 'The request was not stored in time (the server that accepted it stopped); send it again, with a new idempotency key if you used one.',
      status: 503, retryable: false,
    },
  };
}

/**
 * The request state machine: statuses, the record they live in, and the only legal moves.
 * Nothing else writes `status`; every writer calls `decide` inside a compare-and-set loop.
 */
export const Status = {
  Queued: 'queued',
  InProgress: 'in_progress',
  Completed: 'completed',
  Failed: 'failed',
  Cancelled: 'cancelled',
  Expired: 'expired',
} as const;
export type Status = (typeof Status)[keyof typeof Status];

const terminal: ReadonlySet<Status> = new Set([Status.Completed, Status.Failed, Status.Cancelled, Status.Expired]);
export const isTerminal = (s: Status): boolean => terminal.has(s);

import type { Cost } from './cost.js';

export const Api = { Chat: 'chat', Responses: 'responses', Messages: 'messages' } as const;
export type Api = (typeof Api)[keyof typeof Api];

export const Window = { Asap: 'asap', Standard: 'standard', Batch: 'batch' } as const;
export type Window = (typeof Window)[keyof typeof Window];
/** What `completion_window` may say. No prototype: a caller's `constructor` or `__proto__` is not a window. */
export const windowAliases: Readonly<Record<string, Window>> = Object.freeze(Object.assign(Object.create(null), { asap: 'asap', now: 'asap', standard: 'standard', batch: 'batch' }));

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
}

/** What went wrong, as the caller may see it: never a secret, never a stack. */
export interface RecordError {
  code: string;
  message: string;
  /** HTTP status to answer a waiting caller with. */
  status: number;
  retryable: boolean;
}

export type AttemptOutcome = 'running' | 'completed' | 'failed' | 'cancelled';

/** What the adapter saw of one provider call. */
export interface CallFacts {
  /** The provider's HTTP status; absent when no answer came (network error, timeout). */
  status_code?: number;
  /** How long the provider call took, ms. */
  latency_ms?: number;
  /** How long the provider asked us to wait before calling it again (retry-after / retry-after-ms), ms. */
  retry_after_ms?: number;
}

/**
 * A delivery of a dispatch message: its stream sequence and delivery count. An adapter that finds the attempt running
 * elsewhere tells from it whether its own delivery came after that one's (the one running it died: its ack timer ran
 * out) or before (this adapter was frozen between its delivery and the start, and the attempt is alive elsewhere).
 */
export interface DeliveryRef {
  seq: number;
  count: number;
}

export interface AttemptRecord extends CallFacts {
  attempt: number;
  provider: string;
  provider_model: string;
  started_at: number;
  ended_at?: number;
  outcome: AttemptOutcome;
  /** Which delivery of which dispatch message started it (see `DeliveryRef`). Not shown to callers. */
  delivery?: DeliveryRef;
  /** `error.code` is the failure's class (`upstream_rate_limited`, `upstream_timeout`, ...). */
  error?: RecordError;
}

export interface RequestRecord {
  id: string;
  tenant: string;
  api: Api;
  /** The public model name the caller asked for. */
  model: string;
  window: Window;
  status: Status;
  /** The API request as the caller sent it, less ReqRun's own extension fields. */
  body: Record<string, unknown>;
  created_at: number;
  updated_at: number;
  started_at?: number;
  ended_at?: number;
  /** Earliest time the next attempt may start (retry backoff). */
  not_before?: number;
  attempts: number;
  history: AttemptRecord[];
  usage?: Usage;
  /** What it cost (the model's price times the window's multiplier); absent when the model has no price. */
  cost?: Cost;
  /** The finished answer in the shape of `api`. */
  result?: unknown;
  error?: RecordError;
  /**
   * The ingress instance that stored the request to wait for it (a sync caller): its wake-up goes to
   * `rr.done.<waiter>.<id>`, the subject that ingress alone subscribes to for all its waiters. Not shown to callers.
   */
  waiter?: string;
}

export type RequestEvent =
  | { type: 'start'; attempt: number; provider: string; provider_model: string; delivery?: DeliveryRef }
  | { type: 'succeed'; attempt: number; result: unknown; usage: Usage; call?: CallFacts; cost?: Cost }
  /** `retry_in_ms` null = terminal failure; the caller applies the retry policy. */
  | { type: 'fail'; attempt: number; error: RecordError; retry_in_ms: number | null; call?: CallFacts }
  /** The scheduler cannot run a queued request at all (e.g. its model is gone from the config). */
  | { type: 'reject'; error: RecordError }
  | { type: 'cancel' }
  | { type: 'expire' };

/**
 * The most writes one record can get: its creation, then a start and an end for each attempt (an end being success,
 * failure or retry, cancel or expiry; a cancel or expiry of a queued request ends it in one write).
 */
export function maxRecordWrites(maxAttempts: number): number {
  return 1 + 2 * maxAttempts;
}

/** The next record, or null when the event is not a legal move from this state (the caller then does nothing). */
export function decide(r: RequestRecord, ev: RequestEvent, now: number): RequestRecord | null {
  switch (ev.type) {
    case 'start':
      if (r.status !== Status.Queued || r.attempts !== ev.attempt - 1) return null;
      return {
        ...r,
        status: Status.InProgress,
        attempts: ev.attempt,
        started_at: r.started_at ?? now,
        updated_at: now,
        not_before: undefined,
        history: [...r.history, { attempt: ev.attempt, provider: ev.provider, provider_model: ev.provider_model, started_at: now, outcome: 'running', ...(ev.delivery ? { delivery: ev.delivery } : {}) }],
      };
    case 'succeed':
      if (r.status !== Status.InProgress || r.attempts !== ev.attempt) return null;
      return {
        ...r,
        status: Status.Completed,
        result: ev.result,
        usage: ev.usage,
        ...(ev.cost ? { cost: ev.cost } : {}),
        error: undefined,
        ended_at: now,
        updated_at: now,
        history: closeLast(r.history, 'completed', now, undefined, ev.call),
      };
    case 'fail': {
      if (r.status !== Status.InProgress || r.attempts !== ev.attempt) return null;
      const history = closeLast(r.history, 'failed', now, ev.error, ev.call);
      if (ev.retry_in_ms === null) {
        return { ...r, status: Status.Failed, error: ev.error, ended_at: now, updated_at: now, history };
      }
      return { ...r, status: Status.Queued, error: ev.error, not_before: now + ev.retry_in_ms, updated_at: now, history };
    }
    case 'reject':
      if (r.status !== Status.Queued) return null;
      return { ...r, status: Status.Failed, error: ev.error, ended_at: now, updated_at: now };
    case 'cancel':
      if (isTerminal(r.status)) return null;
      return {
        ...r,
        status: Status.Cancelled,
        ended_at: now,
        updated_at: now,
        history: r.status === Status.InProgress ? closeLast(r.history, 'cancelled', now) : r.history,
      };
    case 'expire':
      if (r.status !== Status.Queued) return null;
      return {
        ...r,
        status: Status.Expired,
        error: { code: 'request_expired', message: `The request was not started within its '${r.window}' window.`, status: 408, retryable: false },
        ended_at: now,
        updated_at: now,
      };
  }
}

function closeLast(history: AttemptRecord[], outcome: AttemptOutcome, now: number, error?: RecordError, call: CallFacts = {}): AttemptRecord[] {
  const last = history.at(-1);
  if (!last) return history;
  const closed: AttemptRecord = { ...last, outcome, ended_at: now, latency_ms: now - last.started_at, ...call, ...(error ? { error } : {}) };
  return [...history.slice(0, -1), closed];
}

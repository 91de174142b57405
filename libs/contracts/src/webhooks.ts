import { createHash } from 'node:crypto';
import type { Api } from './request-state.js';

/** The final statuses of a batch, each told by a `batch.<status>` event. */
export const BatchFinalStatuses = ['completed', 'failed', 'cancelled', 'expired'] as const;
export type BatchFinalStatus = (typeof BatchFinalStatuses)[number];

/** Every webhook event type: ReqRun's for any request, OpenAI's names for Responses requests, OpenAI's batch events. */
export const WebhookEventTypes = [
  'request.completed', 'request.failed', 'request.cancelled', 'request.expired',
  'response.completed', 'response.failed', 'response.cancelled', 'response.incomplete',
  'batch.completed', 'batch.failed', 'batch.cancelled', 'batch.expired',
] as const;
export type WebhookEventType = (typeof WebhookEventTypes)[number];

/** What the events stream carries for a terminal change (`Lifecycle.changed`). */
export interface LifecycleEvent {
  id: string;
  tenant: string;
  status: string;
  attempts: number;
  at: number;
  /**
   * The KV revision of the change told, when the teller knows it: a request's events come from different apps and
   * may arrive out of order, and a higher revision is always a later state.
   */
  revision?: number;
}

/**
 * What the events stream carries when a batch reaches its final status (`rr.event.batch_<status>.<batch id>`): the
 * batch's own subjects, so nothing reading request events takes it for one. `at`: when it ended, ms since the epoch.
 */
export interface BatchEvent {
  id: string;
  object: 'batch';
  tenant: string;
  status: BatchFinalStatus;
  at: number;
}

/** Anything the webhooks deliver: a request's terminal event or a batch's end. */
export type WebhookSource = LifecycleEvent | BatchEvent;

export const isBatchEvent = (ev: WebhookSource): ev is BatchEvent => (ev as Partial<BatchEvent>).object === 'batch';

/** What a delivery record says the event is about: `request_id`, or `batch_id` for a batch's event. */
export const webhookSubject = (ev: WebhookSource): { request_id: string } | { batch_id: string } =>
  isBatchEvent(ev) ? { batch_id: ev.id } : { request_id: ev.id };

/** The type an endpoint gets for a batch's end, or null when its `events` leaves it out (absent = all). */
export function batchWebhookType(status: BatchFinalStatus, wanted?: readonly string[]): WebhookEventType | null {
  const type = `batch.${status}` as const;
  return !wanted || wanted.includes(type) ? type : null;
}

/** The terminal kinds stored in the events stream. */
const TERMINAL = new Set(['completed', 'failed', 'cancelled', 'expired']);

/**
 * The type an endpoint gets for a request's terminal event, or null when it takes none. A Responses request is told
 * with OpenAI's name (`expired` is `response.failed`, a completion cut short is `response.incomplete`) unless the
 * endpoint asked only for ReqRun's `request.*` name; any other request with `request.<kind>`. `wanted` absent = all.
 */
export function webhookTypeFor(kind: string, api: Api | undefined, resultStatus: unknown, wanted?: readonly string[]): WebhookEventType | null {
  if (!TERMINAL.has(kind)) return null;
  const ours = `request.${kind}` as WebhookEventType;
  const candidates: WebhookEventType[] = [ours];
  if (api === 'responses') {
    const openai: WebhookEventType = kind === 'completed' ? (resultStatus === 'incomplete' ? 'response.incomplete' : 'response.completed')
      : kind === 'cancelled' ? 'response.cancelled' : 'response.failed';
    candidates.unshift(openai);
  }
  return candidates.find((t) => !wanted || wanted.includes(t)) ?? null;
}

/**
 * One id per request (or batch) and terminal kind: every attempt (and a re-published event) carries the same
 * `webhook-id`. A batch's event is also published with it as its `Nats-Msg-Id`.
 */
export const webhookEventId = (id: string, kind: string): string =>
  `evt_${createHash('sha256').update(`${id}.${kind}`).digest('hex').slice(0, 32)}`;

/** The endpoint's key in the delivery bucket: a tenant and URL, hashed (a URL is not a valid KV key). */
export const webhookEndpointKey = (tenant: string, url: string): string => createHash('sha256').update(`${tenant}\n${url}`).digest('hex').slice(0, 16);

/** OpenAI's event shape: `{"id":"evt_…","object":"event","type","created_at","data":{"id",…}}`, created_at in seconds. */
export function webhookPayload(type: WebhookEventType, ev: Pick<WebhookSource, 'id' | 'status' | 'at'>, api: Api | undefined): Record<string, unknown> {
  const data: Record<string, unknown> = { id: ev.id };
  if (type.startsWith('request.')) Object.assign(data, { object: 'request', status: ev.status, ...(api ? { api } : {}) });
  return { id: webhookEventId(ev.id, ev.status), object: 'event', type, created_at: Math.floor(ev.at / 1000), data };
}

/** Delivery backoff: exponential from base, capped; a receiver's retry-after is a floor, never shortened. */
export function webhookRetryDelay(attempt: number, base: number, max: number, retryAfterMs = 0): number {
  return Math.max(Math.min(max, base * 2 ** (attempt - 1)), retryAfterMs);
}

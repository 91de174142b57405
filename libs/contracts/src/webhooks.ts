import { createHash } from 'node:crypto';
import type { Api } from './request-state.js';

/** Every webhook event type: ReqRun's for any request, OpenAI's names for Responses requests. */
export const WebhookEventTypes = [
  'request.completed', 'request.failed', 'request.cancelled', 'request.expired',
  'response.completed', 'response.failed', 'response.cancelled', 'response.incomplete',
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

/** One id per request and terminal kind: every attempt (and a re-published event) carries the same `webhook-id`. */
export const webhookEventId = (requestId: string, kind: string): string =>
  `evt_${createHash('sha256').update(`${requestId}.${kind}`).digest('hex').slice(0, 32)}`;

/** The endpoint's key in the delivery bucket: a tenant and URL, hashed (a URL is not a valid KV key). */
export const webhookEndpointKey = (tenant: string, url: string): string => createHash('sha256').update(`${tenant}\n${url}`).digest('hex').slice(0, 16);

/** OpenAI's event shape: `{"id":"evt_…","object":"event","type","created_at","data":{"id",…}}`, created_at in seconds. */
export function webhookPayload(type: WebhookEventType, ev: LifecycleEvent, api: Api | undefined): Record<string, unknown> {
  const data: Record<string, unknown> = { id: ev.id };
  if (type.startsWith('request.')) Object.assign(data, { object: 'request', status: ev.status, ...(api ? { api } : {}) });
  return { id: webhookEventId(ev.id, ev.status), object: 'event', type, created_at: Math.floor(ev.at / 1000), data };
}

/** Delivery backoff: exponential from base, capped; a receiver's retry-after is a floor, never shortened. */
export function webhookRetryDelay(attempt: number, base: number, max: number, retryAfterMs = 0): number {
  return Math.max(Math.min(max, base * 2 ** (attempt - 1)), retryAfterMs);
}

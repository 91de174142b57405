import type { LimitSpec } from './limits.js';
import type { CanonicalRequest } from './canonical.js';
import type { Api, RecordError, Window } from './request-state.js';

/** Work items point at a record; the record knows the rest. `msgID` = `${id}:${attempt}` makes a re-publish a no-op. */
export interface SubmitItem {
  id: string;
  tenant: string;
  /** The attempt this submission is for (1 for a new request). */
  attempt: number;
  model: string;
  window: Window;
  api: Api;
  /** Epoch ms before which the attempt must not start (retry backoff). */
  not_before?: number;
  /** When the request was accepted (its window's deadline and expiry count from here); absent = read the record. */
  created_at?: number;
}

/** A rate-limit reservation: the adapters renew it when it is no longer fresh at the call, and settle it when the attempt ends (release the lease, reconcile the tokens). */
export interface HeldLimit {
  /** The limit's scope: `tenant.<name>` or `provider.<name>`. */
  scope: string;
  /** The limits as the scheduler applied them (so the settling process needs no config of its own). */
  spec: LimitSpec;
  /** Start of the slot it was counted in, epoch ms. */
  slot: number;
  tokens: number;
}

export interface DispatchItem {
  id: string;
  tenant: string;
  attempt: number;
  provider: string;
  provider_model: string;
  /** The reservations this attempt was dispatched on (every limited scope). */
  held?: HeldLimit[];
  /**
   * The half-open breaker's probe this attempt holds (its lease, `probe_until`): given back when its call ends in a
   * way that says nothing about the provider (cancelled, its worker lost), so the next attempt probes now.
   */
  probe?: number;
  /** From the submission: what an adapter needs to abandon a first attempt whose record never came (see `whileNoRecord`). */
  api?: Api;
  model?: string;
  window?: Window;
  created_at?: number;
}

export const msgId = (item: { id: string; attempt: number }): string => `${item.id}:${item.attempt}`;

/**
 * Asked of the adapters on `tokens(<provider>)`, request/reply: how many input tokens `request` (its `model` the
 * provider's own name) would be for that provider. Not stored and not scheduled: it is a free, read-only question.
 */
export interface TokenCountAsk {
  request: CanonicalRequest;
}

/**
 * The adapters' answer: the count, or why there is none (the provider's error, classified as for a call, except that
 * a provider's 429 stays a 429 with its retry-after: nothing retries a count but its caller).
 */
export type TokenCountReply = { input_tokens: number } | { error: RecordError & { retry_after_ms?: number } };

/** Provider types whose adapters can count tokens (Anthropic's counting endpoint, the mock's estimate); OpenAI's API has none. */
export const tokenCountingTypes: readonly string[] = ['anthropic', 'mock'];

/** How long the adapters give a provider to count (capped by its `timeout_ms`); the ingress waits a little longer. */
export const tokenCountTimeoutMs = 20_000;

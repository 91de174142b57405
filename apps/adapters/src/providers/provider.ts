import type { Api, CanonicalRequest, CanonicalResult } from '@reqrun/contracts';
import type { ThinkingDelta, ToolCallDelta } from '@reqrun/translate';
import type { Classified } from './classify.js';

export interface CallOptions {
  signal: AbortSignal;
  /** Which attempt of the request this is (1-based). */
  attempt: number;
  /** The API the request arrived through (a provider may speak it natively). */
  api: Api;
  /**
   * Set to stream: the adapter asks the provider for a stream and reports each piece of text, in order, as it
   * arrives (awaited before the next is read), then still returns the whole result. Unset: one plain call.
   */
  onDelta?: (text: string) => void | Promise<void>;
  /**
   * With `onDelta`: each piece of a tool call as the provider streams it (the call's index among the answer's calls,
   * its id and name with its first piece, then pieces of its arguments), in order with the text. The returned result
   * still has every call whole.
   */
  onToolCallDelta?: (piece: ToolCallDelta) => void | Promise<void>;
  /**
   * With `onDelta`: each piece of a thinking block as the provider streams it (the block's index among the answer's
   * thinking blocks; its text in pieces, then its signature; a redacted block whole), before the text. The returned
   * result still has every block whole.
   */
  onThinkingDelta?: (piece: ThinkingDelta) => void | Promise<void>;
}

/** A call whose pieces are wanted as they come (see `onDelta`). */
export type StreamingCall = CallOptions & Required<Pick<CallOptions, 'onDelta'>>;
export const streams = (o: CallOptions): o is StreamingCall => o.onDelta !== undefined;

/** The canonical result, and the HTTP status it came with when the provider is reached over HTTP. */
export type AdapterResult = CanonicalResult & { status_code?: number };

/** One provider type: takes the canonical request, returns the canonical result or throws a ProviderError. */
export interface ProviderAdapter {
  call(req: CanonicalRequest, o: CallOptions): Promise<AdapterResult>;
  /** Whether its failures say something about the provider's health, so feed its circuit breaker (not the mock's: each request asks for them). */
  readonly breaker: boolean;
  /** The request's input tokens as the provider counts them; absent when the provider has no way to count. */
  countTokens?(req: CanonicalRequest, signal: AbortSignal): Promise<number>;
}

/** A classified upstream failure. Its message is shown to the caller: never put a secret in it. */
export class ProviderError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable: boolean,
    /** Status for a waiting caller when this is the final error. */
    readonly status: number,
    readonly retryAfterMs = 0,
    /** The provider's own HTTP status, when it answered. */
    readonly statusCode?: number,
  ) {
    super(message);
    this.name = 'ProviderError';
  }

  static of(c: Classified, message: string, statusCode?: number): ProviderError {
    return new ProviderError(c.code, message, c.retryable, c.status, c.retryAfterMs, statusCode);
  }
}

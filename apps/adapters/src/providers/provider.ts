import type { CanonicalRequest, CanonicalResult } from '@reqrun/contracts';

export interface CallOptions {
  signal: AbortSignal;
  /** Which attempt of the request this is (1-based). */
  attempt: number;
}

/** One provider type: takes the canonical request, returns the canonical result or throws a ProviderError. */
export interface ProviderAdapter {
  call(req: CanonicalRequest, o: CallOptions): Promise<CanonicalResult>;
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
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

/** What a failed provider call means for ReqRun: retry or not, how long the provider asked us to wait, and its class. */
export interface Classified {
  retryable: boolean;
  /** The provider's own ask (retry-after-ms / retry-after), 0 when it gave none. Never shortened by ReqRun. */
  retryAfterMs: number;
  /** The failure's class, stored as the attempt's error code. */
  code: UpstreamErrorCode;
  /** The HTTP status a waiting caller gets if this is the final failure. */
  status: number;
}

export const UpstreamErrorCode = {
  Timeout: 'upstream_timeout',
  Unreachable: 'upstream_unreachable',
  RateLimited: 'upstream_rate_limited',
  Overloaded: 'upstream_overloaded',
  Conflict: 'upstream_conflict',
  ServerError: 'upstream_error',
  BadResponse: 'upstream_bad_response',
  AuthFailed: 'upstream_auth_failed',
  NotFound: 'upstream_not_found',
  Rejected: 'upstream_rejected',
} as const;
export type UpstreamErrorCode = (typeof UpstreamErrorCode)[keyof typeof UpstreamErrorCode];

export interface HeaderSource {
  get(name: string): string | null;
}

/** Why an HTTP call got no usable answer: the per-attempt timeout fired, or the network failed. */
export const TIMEOUT = 'timeout';

/**
 * One pure rule for every provider: network errors, timeouts, 408, 409, 429, 5xx and 529 are retryable; any other
 * 4xx is terminal (the caller gets the provider's status, except auth and not-found, which are ReqRun's
 * configuration and answer 502). `status` null = no HTTP answer; a 2xx with `err` = an answer we could not read.
 */
export function classify(status: number | null, headers: HeaderSource | null, err: unknown, now: number): Classified {
  const retryAfterMs = headers ? parseRetryAfter(headers, now) : 0;
  const c = (code: UpstreamErrorCode, retryable: boolean, callerStatus: number): Classified => ({ retryable, retryAfterMs, code, status: callerStatus });
  if (status === null) return isTimeout(err) ? c('upstream_timeout', true, 504) : c('upstream_unreachable', true, 502);
  if (status >= 200 && status < 300) return c('upstream_bad_response', true, 502);
  if (status === 408) return c('upstream_timeout', true, 504);
  if (status === 409) return c('upstream_conflict', true, 502);
  if (status === 429) return c('upstream_rate_limited', true, 502);
  if (status === 529) return c('upstream_overloaded', true, 502);
  if (status >= 500) return c('upstream_error', true, 502);
  if (status === 401 || status === 403) return c('upstream_auth_failed', false, 502);
  if (status === 404) return c('upstream_not_found', false, 502);
  if (status >= 400) return c('upstream_rejected', false, status);
  return c('upstream_bad_response', false, 502); // a redirect fetch did not follow, or something stranger
}

const isTimeout = (err: unknown): boolean => err === TIMEOUT || (err instanceof Error && (err.name === 'TimeoutError' || err.message === TIMEOUT));

/**
 * How long the provider asked us to wait: `retry-after-ms` (OpenAI, fractional ms) wins, else `retry-after` as
 * seconds or an HTTP date. 0 when absent, unreadable or in the past. Rounded up: never shorter than asked.
 */
export function parseRetryAfter(headers: HeaderSource, now: number): number {
  const ms = headers.get('retry-after-ms')?.trim();
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return Math.ceil(Number(ms));
  const v = headers.get('retry-after')?.trim();
  if (!v) return 0;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.ceil(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, Math.ceil(at - now)) : 0;
}

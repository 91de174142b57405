import type { ReqRunError } from '@reqrun/contracts';

/**
 * Anthropic's error types by HTTP status: its errors page (https://docs.claude.com/en/api/errors) and the
 * `ErrorType` of its SDK (409 conflict_error, 504 timeout_error). Other 4xx are invalid_request_error, other 5xx api_error.
 */
const typeFor = (status: number): string => {
  switch (status) {
    case 401: return 'authentication_error';
    case 402: return 'billing_error';
    case 403: return 'permission_error';
    case 404: return 'not_found_error';
    case 409: return 'conflict_error';
    case 413: return 'request_too_large';
    case 429: return 'rate_limit_error';
    case 504: return 'timeout_error';
    case 529: return 'overloaded_error';
  }
  return status >= 500 ? 'api_error' : 'invalid_request_error';
};

/** Anthropic's error body: `{"type":"error","error":{"type","message"},"request_id"}`; request_id is null before a request has an id. */
export function anthropicEnvelope(e: ReqRunError, requestId?: string) {
  return { type: 'error' as const, error: { type: typeFor(e.status), message: e.message }, request_id: requestId ?? null };
}

/** Each API's error body and its `type` for an HTTP status: the same in a JSON error answer and in a stream's error event. */

/** What an error body says: the message, the HTTP status its type is chosen by, ReqRun's code, the field at fault. */
export interface ErrorFacts {
  message: string;
  status: number;
  code: string;
  param?: string | null;
}

/** OpenAI's error body: `{"error":{"message","type","param","code"}}`. */
export function openAIErrorBody(e: ErrorFacts) {
  return { error: { message: e.message, type: openAIErrorType(e.status), param: e.param ?? null, code: e.code } };
}

/** Anthropic's error body: `{"type":"error","error":{"type","message"},"request_id"}`; request_id is null before a request has an id. */
export function anthropicErrorBody(e: ErrorFacts, requestId?: string) {
  return { type: 'error' as const, error: { type: anthropicErrorType(e.status), message: e.message }, request_id: requestId ?? null };
}

/** OpenAI's `error.type`. */
export function openAIErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/**
 * Anthropic's `error.type`: its errors page (https://docs.claude.com/en/api/errors) and the `ErrorType` of its SDK
 * (409 conflict_error, 504 timeout_error). Other 4xx are invalid_request_error, other 5xx api_error.
 */
export function anthropicErrorType(status: number): string {
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
}

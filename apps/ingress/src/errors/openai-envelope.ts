import type { ReqRunError } from '@reqrun/contracts';

const typeFor = (status: number): string => {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
};

/** OpenAI's error body: `{"error":{"message","type","param","code"}}`. */
export function openAIEnvelope(e: ReqRunError) {
  return { error: { message: e.message, type: typeFor(e.status), param: e.param, code: e.code } };
}

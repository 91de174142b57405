import type { Api, CanonicalRequest, CanonicalResult } from '@reqrun/contracts';
import { canonicalToChatCompletion, chatToCanonical, type ResultIdentity } from './chat.translate.js';

/** Dispatch on the API a request arrived through. Only chat exists so far; Responses and Messages join here. */
export function toCanonical(api: Api, body: Record<string, unknown>): CanonicalRequest {
  switch (api) {
    case 'chat':
      return chatToCanonical(body);
    default:
      throw new Error(`translation from the ${api} API is not implemented yet`);
  }
}

export function toApiResult(api: Api, r: CanonicalResult, o: ResultIdentity): unknown {
  switch (api) {
    case 'chat':
      return canonicalToChatCompletion(r, o);
    default:
      throw new Error(`translation to the ${api} API is not implemented yet`);
  }
}

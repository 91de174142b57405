import { badRequest } from '@reqrun/contracts';
import { MAX_MESSAGE_BATCH_REQUESTS } from './batch-input.js';

/** One request of a Message Batch as sent: its `custom_id` and its Messages `params`. */
export interface MessageBatchRequest {
  custom_id: string;
  params: Record<string, unknown>;
}

/** Anthropic's `custom_id`: 1 to 64 letters, digits, `_` and `-`. */
const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads `POST /v1/messages/batches`' body: `requests`, 1 to 100,000 of `{custom_id, params}`, each `custom_id` valid
 * and unique, each `params` an object. Anything else is a 400 naming the first fault, as Anthropic answers. The
 * params themselves are checked when each request is made, so an invalid one becomes that request's `errored` result.
 */
export function readMessageBatchRequests(raw: unknown): MessageBatchRequest[] {
  if (!isObject(raw)) throw badRequest('The body must be a JSON object with `requests`.');
  const { requests } = raw;
  if (!Array.isArray(requests)) throw badRequest('requests: Field required: a list of {custom_id, params}.', 'requests');
  if (requests.length === 0) throw badRequest('requests: List should have at least 1 item.', 'requests');
  if (requests.length > MAX_MESSAGE_BATCH_REQUESTS) throw badRequest(`requests: List should have at most ${MAX_MESSAGE_BATCH_REQUESTS} items, not ${requests.length}.`, 'requests');
  const seen = new Set<string>();
  return requests.map((r: unknown, i) => {
    const at = `requests.${i}`;
    if (!isObject(r)) throw badRequest(`${at}: Input should be an object with custom_id and params.`, at);
    const { custom_id, params } = r;
    if (typeof custom_id !== 'string' || !CUSTOM_ID.test(custom_id)) {
      throw badRequest(`${at}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'.`, `${at}.custom_id`);
    }
    if (seen.has(custom_id)) throw badRequest(`${at}.custom_id: '${custom_id}' is used by an earlier request; each custom_id must be unique in the batch.`, `${at}.custom_id`);
    seen.add(custom_id);
    if (!isObject(params)) throw badRequest(`${at}.params: Input should be an object (the Messages request).`, `${at}.params`);
    return { custom_id, params };
  });
}

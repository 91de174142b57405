import type { Api, CanonicalRequest, CanonicalResult } from '@reqrun/contracts';
import { canonicalToChat, canonicalToChatCompletion, chatCompletionToCanonical, chatToCanonical, type ChatCompletion } from './chat.translate.js';
import {
  anthropicMessageToCanonical, canonicalToAnthropicMessage, canonicalToMessages, messagesToCanonical, type AnthropicMessage,
} from './messages.translate.js';
import { canonicalToResponse, canonicalToResponses, responsesToCanonical, responseToCanonical, type ResponseObject } from './responses.translate.js';
import type { ResultIdentity } from './shape-parts.js';

/** The four translations of one API shape. */
interface Shape {
  /** The API's request body -> canonical request. */
  request(body: Record<string, unknown>): CanonicalRequest;
  /** Canonical request -> the API's request body (for a provider that speaks this API). */
  wireRequest(req: CanonicalRequest): object;
  /** The API's result object (from a provider) -> canonical result. */
  result(r: unknown): CanonicalResult;
  /** Canonical result -> the API's result object, as stored in the record and answered. */
  apiResult(r: CanonicalResult, o: ResultIdentity): unknown;
}

const shapes: Record<Api, Shape> = {
  chat: { request: chatToCanonical, wireRequest: canonicalToChat, result: (r) => chatCompletionToCanonical(r as ChatCompletion), apiResult: canonicalToChatCompletion },
  messages: { request: messagesToCanonical, wireRequest: canonicalToMessages, result: (r) => anthropicMessageToCanonical(r as AnthropicMessage), apiResult: canonicalToAnthropicMessage },
  responses: { request: responsesToCanonical, wireRequest: canonicalToResponses, result: (r) => responseToCanonical(r as ResponseObject), apiResult: canonicalToResponse },
};

function shapeOf(api: Api): Shape {
  const s = shapes[api];
  if (!s) throw new Error(`unknown API '${String(api)}'`);
  return s;
}

/** Dispatch on the API a request arrived through (record.api) or a provider speaks. */
export const toCanonical = (api: Api, body: Record<string, unknown>): CanonicalRequest => shapeOf(api).request(body);
export const toApiRequest = (api: Api, req: CanonicalRequest): object => shapeOf(api).wireRequest(req);
export const fromApiResult = (api: Api, result: unknown): CanonicalResult => shapeOf(api).result(result);
/** `o.request` = the stored request body: the Responses shape repeats its fields. */
export const toApiResult = (api: Api, r: CanonicalResult, o: ResultIdentity): unknown => shapeOf(api).apiResult(r, o);

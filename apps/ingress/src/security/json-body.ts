import { badRequest, ErrorCode, ReqRunError } from '@reqrun/contracts';
import { checkJsonDepth } from './json-depth.js';

/**
 * A JSON body that did not come through Fastify (the NATS-native API), held to the same rules as an HTTP one:
 * at most `limit` bytes (413), valid JSON (400 `invalid_json`), no `__proto__` key and no `constructor.prototype`
 * (400, as Fastify's parser set to refuse), nested at most 64 levels (400 `json_too_deep`).
 */
export function parseJsonBody(data: Uint8Array, limit: number): unknown {
  if (data.byteLength > limit) throw new ReqRunError(ErrorCode.BodyTooLarge, `The request body is larger than this server accepts (${limit} bytes).`, 413);
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'), (k, x) => {
      if (k === '__proto__') throw poisoned('Object contains forbidden prototype property');
      if (k === 'constructor' && x !== null && typeof x === 'object' && Object.hasOwn(x, 'prototype')) throw poisoned('Object contains forbidden prototype property');
      return x;
    });
  } catch (e) {
    if (e instanceof ReqRunError) throw e;
    throw new ReqRunError(ErrorCode.InvalidJson, `We could not parse the JSON body of your request (${(e as Error).message}).`, 400);
  }
  checkJsonDepth(v);
  return v;
}

const poisoned = (m: string) => badRequest(`We could not parse the JSON body of your request (${m}).`, null, ErrorCode.InvalidJson);

import { randomFillSync } from 'node:crypto';
import { monotonicFactory } from 'ulid';

/** One id per request, `rr_` + ULID, from acceptance to completion. */
export const REQUEST_ID_PATTERN = /^rr_[0-9A-HJKMNP-TV-Z]{26}$/;

export const isRequestId = (s: unknown): s is string => typeof s === 'string' && REQUEST_ID_PATTERN.test(s);

export interface Ids {
  requestId(): string;
}

/** crypto-strong bytes handed out one at a time from a refilled pool: ulid otherwise asks the kernel once per character. */
function pooledRandom(): () => number {
  const pool = new Uint8Array(4096);
  let at = pool.length;
  return () => {
    if (at === pool.length) {
      randomFillSync(pool);
      at = 0;
    }
    return pool[at++] / 256;
  };
}

const ulid = monotonicFactory(pooledRandom());
export const systemIds: Ids = { requestId: () => `rr_${ulid()}` };

export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };

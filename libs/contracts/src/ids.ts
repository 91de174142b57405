import { monotonicFactory } from 'ulid';

/** One id per request, `rr_` + ULID, from acceptance to completion. */
export const REQUEST_ID_PATTERN = /^rr_[0-9A-HJKMNP-TV-Z]{26}$/;

export const isRequestId = (s: unknown): s is string => typeof s === 'string' && REQUEST_ID_PATTERN.test(s);

export interface Ids {
  requestId(): string;
}

const ulid = monotonicFactory();
export const systemIds: Ids = { requestId: () => `rr_${ulid()}` };

export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };

import { JetStreamApiError } from '@nats-io/jetstream';
import { ClosedConnectionError, ConnectionError, NoRespondersError, RequestError, TimeoutError } from '@nats-io/nats-core';

const WRONG_LAST_SEQUENCE = 10071;

/** A compare-and-set lost its race (or `create` found the key already there). */
export function isWrongLastSequence(e: unknown): boolean {
  if (e instanceof JetStreamApiError) return e.code === WRONG_LAST_SEQUENCE;
  return e instanceof Error && /wrong last sequence/i.test(e.message);
}

/** The value was bigger than the server's max_payload. */
export function isPayloadTooLarge(e: unknown): boolean {
  return e instanceof Error && /max_payload size exceeded|maximum payload exceeded|MAX_PAYLOAD_EXCEEDED/i.test(`${e.message} ${(e as { code?: string }).code ?? ''}`);
}

/** NATS (or JetStream) could not be reached in time: the caller should try again shortly, nothing is wrong with its request. */
export function isNatsUnavailable(e: unknown): boolean {
  return [TimeoutError, ConnectionError, ClosedConnectionError, NoRespondersError, RequestError].some((c) => e instanceof c)
    || (e instanceof Error && /jetstream (is )?not enabled|no responders|disconnected/i.test(e.message));
}

import { JetStreamApiError } from '@nats-io/jetstream';

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

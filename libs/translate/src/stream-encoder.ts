import type { Chunk } from '@reqrun/contracts';
import type { ResultIdentity } from './shape-parts.js';
import type { SseEvent } from './sse.js';

/** What every event of a stream repeats: the request's id, its creation time (epoch s), the model asked for, the stored body. */
export interface StreamHead extends ResultIdentity {
  model: string;
}

/**
 * Turns a request's chunks, one at a time, into its API's stream events. Deterministic: the same head and chunks give
 * the same events every time (a resumed Responses stream relies on its sequence numbers). Nothing after the end.
 */
export interface StreamEncoder {
  /** `at`: when the chunk was stored (epoch ms), for shapes that show the completion time. */
  push(chunk: Chunk, at?: number): SseEvent[];
}

/**
 * What is left of a call's whole arguments (the end's) after the pieces a stream already carried: '' when nothing is,
 * or when the pieces are not its beginning (nothing sensible to append then).
 */
export const argumentsLeft = (whole: string, sent: string): string =>
  whole.length > sent.length && whole.startsWith(sent) ? whole.slice(sent.length) : '';

import type { CanonicalThinking, CanonicalToolCall, FinishReason } from './canonical.js';
import type { RecordError } from './request-state.js';

/**
 * One piece of a streamed answer, published by the adapter running the attempt on `rr.chunk.<id>` (JetStream,
 * stream RR_CHUNKS, in order, msgID `chunkMsgId`), read by any ingress that streams the request to a client.
 *
 * Rules both ends rely on:
 * - The adapter streams from the provider when the stored body has `stream: true`; other requests write no chunks
 *   (a reader builds the stream from the final record instead).
 * - `seq` counts from 0 within an attempt. The first `delta` (or `tool_call`, `thinking`) of an attempt makes it the request's streamed attempt:
 *   from then on the request is never retried (a client may have seen the text); if that attempt fails in any way
 *   (provider error, timeout, worker lost) an `error` chunk ends the stream and the request fails.
 * - An attempt that fails before its first delta writes nothing and is retried as usual, so a reader never sees it.
 * - Every `delta` is acknowledged by JetStream before the attempt's terminal state is stored, so a reader woken by
 *   `rr.done.<waiter>.<id>` finds all of them in the stream. The `end` is written only after the answer is stored:
 *   the record decides how a stream ends, and a reader that finds no `end` builds the same one from the record.
 *   (Adapters from before this rule wrote `end` first; a lost attempt of theirs is still stored from its chunks.)
 * - A cancel (ingress) ends a streamed request's stream itself: an `error` chunk (`request_cancelled`, `seq` -1,
 *   `attempt` = the record's attempts), stored after the cancelled state and before the wake-up. Readers stop at the
 *   first `error` chunk, whoever wrote it, so pieces the attempt still publishes before its call is aborted are
 *   never read and every read of the stream is the same.
 * - `tool_call` pieces (an attempt with tools streams its calls as the model writes them) count as deltas for every
 *   rule above (they make the attempt the streamed one, they are stored before the outcome). They are a preview: the
 *   `end` still carries every call whole, and is what a reader trusts (a call whose pieces were not all streamed is
 *   finished from it). A call's pieces come in order, one call after the other (index 0's, then 1's...), each call's
 *   first piece with its `id` and `name`. An ingress from before this kind skips it (see the ingress ChunkReader:
 *   a chunk of a type it does not know is not a chunk to it) and gets the calls whole from the `end`, as before.
 * - `thinking` pieces (an attempt asked to think streams its thinking blocks as the model writes them, before its
 *   text) count as deltas for every rule above too. Unlike calls, they are not repeated in the `end`: a block's
 *   pieces are all stored before the outcome, so every read of the chunks (a late one, a replay) has them all and
 *   joins them into the whole block; a request read without chunks gets its blocks whole from the record (a `delta`'s
 *   `thinking`). Blocks come one after the other (index 0's pieces, then 1's...), ahead of the text; a `thinking`
 *   block's first piece opens it (its text may be ''), its `signature` comes last; a `redacted_thinking` block is one
 *   piece, `redacted`. An ingress from before this kind skips it: its Messages streams then lack the thinking blocks
 *   (the record has them), so ingress is upgraded before the adapters.
 */
export type Chunk =
  | {
      type: 'delta';
      attempt: number;
      seq: number;
      text: string;
      /**
       * The answer's thinking blocks, whole, ahead of `text`: only on a delta a reader builds from the record (and on
       * the one delta of an attempt by an adapter from before `thinking` chunks).
       */
      thinking?: CanonicalThinking[];
    }
  | {
      type: 'tool_call';
      attempt: number;
      seq: number;
      /** The call's place among the answer's calls (`end.tool_calls`), from 0. */
      index: number;
      /** On the call's first piece: its id and the function's name. */
      id?: string;
      name?: string;
      /** The next piece of the call's arguments (JSON text); may be '' on the first piece. */
      arguments: string;
    }
  | {
      type: 'thinking';
      attempt: number;
      seq: number;
      /** The block's place among the answer's thinking blocks (the result's `thinking`), from 0. */
      index: number;
      /** The next piece of a `thinking` block's text (may be '' on its first piece). */
      thinking?: string;
      /** A `thinking` block's signature: its last piece. */
      signature?: string;
      /** A `redacted_thinking` block, whole: its `data`. */
      redacted?: string;
    }
  | {
      type: 'end';
      attempt: number;
      seq: number;
      /** The model the client asked for (as in the stored result), not the provider's name for it. */
      model: string;
      finish_reason: FinishReason;
      stop_sequence?: string;
      usage: { input_tokens: number; output_tokens: number };
      /** The tools the model called, whole (even when their pieces were streamed as `tool_call` chunks before). */
      tool_calls?: CanonicalToolCall[];
    }
  | { type: 'error'; attempt: number; seq: number; error: RecordError };

export const chunkMsgId = (id: string, c: Pick<Chunk, 'attempt' | 'seq'>): string => `${id}:${c.attempt}:${c.seq}`;

/** The kinds that carry a piece of the answer: the first of an attempt makes it the streamed one (see above). */
export const PIECE_KINDS: readonly Chunk['type'][] = ['delta', 'tool_call', 'thinking'];
/** Every kind this version writes and reads. */
export const CHUNK_KINDS: readonly Chunk['type'][] = [...PIECE_KINDS, 'end', 'error'];

export const isPiece = (c: Chunk): boolean => PIECE_KINDS.includes(c.type);
/** `end` or `error`: nothing of the stream comes after it. */
export const endsStream = (c: Chunk): boolean => c.type === 'end' || c.type === 'error';

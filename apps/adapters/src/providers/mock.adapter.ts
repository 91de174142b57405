import type { CanonicalRequest, CanonicalResult, CanonicalThinking } from '@reqrun/contracts';
import { mockAnswer, mockInputTokens, type ThinkingDelta } from '@reqrun/translate';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProviderError, type CallOptions, type ProviderAdapter } from './provider.js';

/**
 * The built-in offline provider. Per request, through `metadata`:
 * - `mock_latency_ms`: how long the call takes before its first piece;
 * - `mock_chunk_delay_ms`: when streaming, the pause between two pieces (one word each; its thinking first, then its
 *   signature; a tool call's arguments in two pieces or more, after its text);
 * - `mock_fail`: `retryable` | `terminal` (every attempt fails that way, before any piece), `mid_stream` (every
 *   attempt fails, retryable, right after its first piece; unstreamed, before any), or `<kind>:N` (only the first N attempts fail).
 */
export class MockAdapter implements ProviderAdapter {
  readonly breaker = false;

  async call(req: CanonicalRequest, o: CallOptions): Promise<CanonicalResult> {
    const meta = req.metadata ?? {};
    const latency = Number(meta.mock_latency_ms ?? 0);
    if (latency > 0) await sleep(latency, undefined, { signal: o.signal });
    const failure = parseFailure(meta.mock_fail);
    const fails = failure !== null && o.attempt <= failure.attempts;
    if (fails && failure.kind === 'retryable') throw new ProviderError('upstream_error', `mock failure (retryable) on attempt ${o.attempt}`, true, 502);
    if (fails && failure.kind === 'terminal') throw new ProviderError('upstream_rejected', 'mock failure (terminal): the provider rejected the request', false, 400);
    const answer = mockAnswer(req);
    const midStream = () => new ProviderError('upstream_error', `mock failure (mid-stream) on attempt ${o.attempt}, after its first piece`, true, 502);
    const { onDelta, onToolCallDelta: onCall, onThinkingDelta: onThought } = o;
    if (!onDelta) {
      if (fails) throw midStream();
      return answer;
    }
    const pause = Number(meta.mock_chunk_delay_ms ?? 0);
    // Its thinking, then its text one word a piece, then each call: its id and name with the first piece of its arguments, the rest in more pieces.
    const pieces: (() => void | Promise<void>)[] = [
      ...(answer.thinking ?? []).flatMap((t, index) => thinkingPieces(t, index).map((p) => () => onThought?.(p))),
      ...words(answer.text).map((w) => () => onDelta(w)),
      ...(answer.tool_calls ?? []).flatMap((c, index) =>
        argumentPieces(c.arguments).map((a, i) => () => onCall?.({ index, ...(i === 0 ? { id: c.id, name: c.name } : {}), arguments_delta: a }))),
    ];
    for (const [i, piece] of pieces.entries()) {
      if (i > 0 && pause > 0) await sleep(pause, undefined, { signal: o.signal });
      o.signal.throwIfAborted();
      await piece();
      if (fails) throw midStream();
    }
    return answer;
  }

  /** The same estimate its answers report as input tokens. */
  async countTokens(req: CanonicalRequest): Promise<number> {
    return mockInputTokens(req);
  }
}

/** A thinking block in pieces: its text one word each (its first piece opens it, '' when it has none), then its signature; a redacted one whole. */
export function thinkingPieces(t: CanonicalThinking, index: number): ThinkingDelta[] {
  if (t.type === 'redacted_thinking') return [{ index, redacted: t.data }];
  const text = words(t.thinking);
  return [...(text.length ? text : ['']).map((thinking) => ({ index, thinking })), { index, signature: t.signature }];
}

/** A call's arguments in two pieces or more (one word each, or halves when it has no space): joined, exactly the text. */
export function argumentPieces(args: string): string[] {
  const w = words(args);
  if (w.length >= 2 || args.length < 2) return w.length ? w : [args];
  const half = Math.ceil(args.length / 2);
  return [args.slice(0, half), args.slice(half)];
}

/** The text cut before each word that follows a space: the pieces join back to exactly the text. */
export const words = (text: string): string[] => text.split(/(?<=\s)(?=\S)/).filter((w) => w !== '');

type FailureKind = 'retryable' | 'terminal' | 'mid_stream';
const kinds: readonly string[] = ['retryable', 'terminal', 'mid_stream'] satisfies FailureKind[];

function parseFailure(v: unknown): { kind: FailureKind; attempts: number } | null {
  if (typeof v !== 'string' || v === '') return null;
  const [kind, n] = v.split(':');
  if (!kinds.includes(kind)) return null;
  return { kind: kind as FailureKind, attempts: n === undefined ? Infinity : Number(n) };
}

import type { CanonicalResult } from '@reqrun/contracts';
import { chatCompletionToCanonical } from './chat.translate.js';
import { anthropicMessageToCanonical, type AnthropicMessage, type AnthropicUsage } from './messages.translate.js';
import { responseToCanonical, type ResponseObject } from './responses.translate.js';

/**
 * Reading a provider's SSE stream (OpenAI chat chunks, OpenAI Responses events, Anthropic message events), one event
 * at a time, into text deltas and, once the stream's own last event came, the same canonical result the unstreamed
 * answer gives (the final shape is rebuilt and read by the same translation). Pure: the SSE framing is parsed by the
 * caller. Only a stream's explicit end counts as done; a stream that stops before it was cut short.
 */
export type StreamStep =
  | { type: 'delta'; text: string }
  | { type: 'done' }
  /** The provider reported an error inside the stream (after its HTTP 200). */
  | { type: 'error'; message: string }
  | { type: 'skip' };

export interface StreamReader {
  /** One SSE event: its `event:` name (if any) and its `data`. Throws when the data cannot be read. */
  read(event: string | undefined, data: string): StreamStep;
  /** The whole answer; only after `read` said done. */
  result(): CanonicalResult;
}

const skip: StreamStep = { type: 'skip' };
const done: StreamStep = { type: 'done' };
const delta = (text: unknown): StreamStep => (typeof text === 'string' && text !== '' ? { type: 'delta', text } : skip);
const failed = (message: unknown, fallback: string): StreamStep => ({ type: 'error', message: typeof message === 'string' && message !== '' ? message : fallback });

/** Chat Completions with `stream: true` and `stream_options.include_usage`: chunks, a usage-only chunk, `[DONE]`. */
export function chatStreamReader(): StreamReader {
  let model = '';
  let text = '';
  let finish: string | null = null;
  let usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | undefined;
  return {
    read(_event, data) {
      if (data.trim() === '[DONE]') return done;
      const c = JSON.parse(data);
      if (c.error) return failed(c.error.message, 'The provider reported an error in the stream.');
      model = c.model ?? model;
      if (c.usage) usage = c.usage;
      const choice = c.choices?.find((x: { index?: number }) => (x.index ?? 0) === 0);
      if (choice?.finish_reason) finish = choice.finish_reason;
      const piece = delta(choice?.delta?.content);
      if (piece.type === 'delta') text += piece.text;
      return piece;
    },
    result: () =>
      chatCompletionToCanonical({
        id: '', object: 'chat.completion', created: 0, model,
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: finish }], usage,
      }),
  };
}

/** Responses with `stream: true`: `response.output_text.delta` ... `response.completed` (or `.incomplete`) with the whole response. */
export function responsesStreamReader(): StreamReader {
  let final: ResponseObject | undefined;
  return {
    read(event, data) {
      const e = JSON.parse(data);
      switch (event ?? e.type) {
        case 'response.output_text.delta':
          return delta(e.delta);
        case 'response.completed':
        case 'response.incomplete':
          final = e.response;
          return done;
        case 'response.failed':
          return failed(e.response?.error?.message, 'The provider reported the response as failed.');
        case 'error':
          return failed(e.message ?? e.error?.message, 'The provider reported an error in the stream.');
        default:
          return skip;
      }
    },
    result: () => responseToCanonical(final!),
  };
}

/** Messages with `stream: true`: message_start, content_block_delta (text_delta), message_delta, message_stop; ping and error. */
export function messagesStreamReader(): StreamReader {
  let message: AnthropicMessage | undefined;
  let text = '';
  return {
    read(event, data) {
      const e = JSON.parse(data);
      switch (event ?? e.type) {
        case 'message_start':
          message = e.message;
          return skip;
        case 'content_block_start':
          return add(e.content_block?.type === 'text' ? e.content_block.text : undefined);
        case 'content_block_delta':
          return add(e.delta?.type === 'text_delta' ? e.delta.text : undefined);
        case 'message_delta':
          if (!message) throw new Error('message_delta before message_start');
          message = { ...message, stop_reason: e.delta?.stop_reason ?? message.stop_reason, stop_sequence: e.delta?.stop_sequence ?? message.stop_sequence, usage: merged(message.usage, e.usage) };
          return skip;
        case 'message_stop':
          return done;
        case 'error':
          return failed(e.error?.message, 'The provider reported an error in the stream.');
        default:
          return skip; // ping, content_block_stop, and event types added later
      }
    },
    result: () => anthropicMessageToCanonical({ ...message!, content: [{ type: 'text', text }] }),
  };

  function add(t: unknown): StreamStep {
    const piece = delta(t);
    if (piece.type === 'delta') text += piece.text;
    return piece;
  }
}

/** message_delta's usage counts are cumulative and may leave some out (null): those keep message_start's. */
function merged(start: AnthropicUsage, later: Partial<Record<keyof AnthropicUsage, number | null>> | undefined): AnthropicUsage {
  const out = { ...start };
  for (const [k, v] of Object.entries(later ?? {})) if (typeof v === 'number') (out as Record<string, unknown>)[k] = v;
  return out;
}

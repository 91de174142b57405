import type { CanonicalResult, CanonicalThinking } from '@reqrun/contracts';
import { chatCompletionToCanonical } from './chat.translate.js';
import { anthropicMessageToCanonical, type AnthropicMessage, type AnthropicUsage } from './messages.translate.js';
import { responseToCanonical, type ResponseObject } from './responses.translate.js';

/**
 * One piece of a tool call as a provider streams it: `index` is the call's place among the answer's calls (from 0,
 * as in the result's `tool_calls`), `id` and `name` come with its first piece, `arguments_delta` is the next piece of
 * its arguments' JSON text ('' when a piece only starts the call).
 */
export interface ToolCallDelta {
  index: number;
  id?: string;
  name?: string;
  arguments_delta: string;
}

/**
 * One piece of a thinking block as a provider streams it (see Chunk `thinking`): `index` is the block's place among
 * the answer's thinking blocks (from 0, as in the result's `thinking`); a block's first piece opens it.
 */
export interface ThinkingDelta {
  index: number;
  /** The next piece of a `thinking` block's text ('' when a piece only opens the block). */
  thinking?: string;
  /** A `thinking` block's signature (its last piece). */
  signature?: string;
  /** A `redacted_thinking` block, whole: its `data`. */
  redacted?: string;
}

/**
 * A thinking piece joined into the blocks so far, as every reader of a stream rebuilds them (the provider's stream
 * here, the chunk stream when an attempt is recovered): a block's first piece opens it, text is appended, a
 * signature replaces (it comes whole, as the SDK takes it).
 */
export function joinThought(blocks: CanonicalThinking[], p: ThinkingDelta): void {
  if (p.index >= blocks.length) blocks.push(p.redacted !== undefined ? { type: 'redacted_thinking', data: p.redacted } : { type: 'thinking', thinking: '', signature: '' });
  const block = blocks[p.index];
  if (block?.type !== 'thinking') return;
  block.thinking += p.thinking ?? '';
  if (p.signature !== undefined) block.signature = p.signature;
}

/**
 * Reading a provider's SSE stream (OpenAI chat chunks, OpenAI Responses events, Anthropic message events), one event
 * at a time, into text deltas, tool-call pieces and, once the stream's own last event came, the same canonical result the unstreamed
 * answer gives (the final shape is rebuilt and read by the same translation). Pure: the SSE framing is parsed by the
 * caller. Only a stream's explicit end counts as done; a stream that stops before it was cut short.
 */
export type StreamStep =
  /** `text` may be '' only when `tool_calls` or `thinking` has pieces (one chat chunk may carry text and calls). */
  | { type: 'delta'; text: string; tool_calls?: ToolCallDelta[]; thinking?: ThinkingDelta[] }
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
const calling = (calls: ToolCallDelta[]): StreamStep => (calls.length ? { type: 'delta', text: '', tool_calls: calls } : skip);
const thought = (piece: ThinkingDelta): StreamStep => ({ type: 'delta', text: '', thinking: [piece] });
const failed = (message: unknown, fallback: string): StreamStep => ({ type: 'error', message: typeof message === 'string' && message !== '' ? message : fallback });

/** Chat Completions with `stream: true` and `stream_options.include_usage`: chunks, a usage-only chunk, `[DONE]`. */
export function chatStreamReader(): StreamReader {
  let model = '';
  let text = '';
  let finish: string | null = null;
  let usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | undefined;
  /** The calls so far, by their index: the first fragment of an index has its id and name, every one a piece of its arguments. */
  const calls = new Map<number, { id: string; name: string; arguments: string }>();
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
      const pieces: ToolCallDelta[] = [];
      for (const f of Array.isArray(choice?.delta?.tool_calls) ? choice.delta.tool_calls : []) {
        const index = Number.isInteger(f?.index) ? (f.index as number) : 0;
        const args = typeof f?.function?.arguments === 'string' ? (f.function.arguments as string) : '';
        const known = calls.get(index);
        const id = typeof f?.id === 'string' && f.id !== '' ? (f.id as string) : undefined;
        const name = typeof f?.function?.name === 'string' && f.function.name !== '' ? (f.function.name as string) : undefined;
        if (!known) calls.set(index, { id: id ?? '', name: name ?? '', arguments: args });
        else {
          known.arguments += args;
          if (id) known.id = id;
          if (name) known.name = name;
        }
        if (!known || args !== '' || id || name) pieces.push({ index, ...(id ? { id } : {}), ...(name ? { name } : {}), arguments_delta: args });
      }
      if (pieces.length === 0) return piece;
      return { type: 'delta', text: piece.type === 'delta' ? piece.text : '', tool_calls: pieces };
    },
    result: () => {
      const tool_calls = [...calls.entries()].sort(([a], [b]) => a - b).map(([, t]) => ({ id: t.id, type: 'function' as const, function: { name: t.name, arguments: t.arguments } }));
      return chatCompletionToCanonical({
        id: '', object: 'chat.completion', created: 0, model,
        choices: [{ index: 0, message: { role: 'assistant', content: text, ...(tool_calls.length ? { tool_calls } : {}) }, finish_reason: finish }], usage,
      });
    },
  };
}

/**
 * Responses with `stream: true`: `response.output_text.delta` ... `response.completed` (or `.incomplete`) with the
 * whole response; a function call: `response.output_item.added` (a function_call item: its call_id and name), then
 * `response.function_call_arguments.delta` pieces (by output_index).
 */
export function responsesStreamReader(): StreamReader {
  let final: ResponseObject | undefined;
  /** The function_call items so far: output_index -> the call's index among the calls. */
  const calls = new Map<number, number>();
  return {
    read(event, data) {
      const e = JSON.parse(data);
      switch (event ?? e.type) {
        case 'response.output_text.delta':
          return delta(e.delta);
        case 'response.output_item.added': {
          if (e.item?.type !== 'function_call' || calls.has(e.output_index)) return skip;
          const index = calls.size;
          calls.set(e.output_index, index);
          const args = typeof e.item.arguments === 'string' ? e.item.arguments : '';
          return calling([{ index, ...(typeof e.item.call_id === 'string' ? { id: e.item.call_id } : {}), ...(typeof e.item.name === 'string' ? { name: e.item.name } : {}), arguments_delta: args }]);
        }
        case 'response.function_call_arguments.delta': {
          const index = calls.get(e.output_index);
          if (index === undefined || typeof e.delta !== 'string' || e.delta === '') return skip;
          return calling([{ index, arguments_delta: e.delta }]);
        }
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

/**
 * Messages with `stream: true`: message_start, content_block_delta (text_delta), message_delta, message_stop; ping and
 * error. A tool_use block: its content_block_start (id, name), then input_json_delta pieces (`partial_json`); the
 * call's arguments are those pieces joined, as the model wrote them (`{}` when it wrote none). Extended thinking: a
 * thinking block's content_block_start, its thinking_delta pieces (`thinking`), then a signature_delta (`signature`);
 * a redacted_thinking block whole in its content_block_start.
 */
export function messagesStreamReader(): StreamReader {
  let message: AnthropicMessage | undefined;
  let text = '';
  /** The tool_use blocks so far, in order, and the call each content block index is. */
  const calls: { id: string; name: string; json: string }[] = [];
  const callAt = new Map<number, number>();
  /** The thinking blocks so far, in order, and the block each content block index is. */
  const thoughts: CanonicalThinking[] = [];
  const thoughtAt = new Map<number, number>();
  return {
    read(event, data) {
      const e = JSON.parse(data);
      switch (event ?? e.type) {
        case 'message_start':
          message = e.message;
          return skip;
        case 'content_block_start':
          if (e.content_block?.type === 'tool_use') {
            const index = calls.length;
            calls.push({ id: String(e.content_block.id ?? ''), name: String(e.content_block.name ?? ''), json: '' });
            callAt.set(e.index, index);
            return calling([{ index, id: calls[index].id, name: calls[index].name, arguments_delta: '' }]);
          }
          if (e.content_block?.type === 'thinking' || e.content_block?.type === 'redacted_thinking') return startThought(e.index, e.content_block);
          return add(e.content_block?.type === 'text' ? e.content_block.text : undefined);
        case 'content_block_delta': {
          const index = callAt.get(e.index);
          if (index !== undefined && e.delta?.type === 'input_json_delta') {
            const piece = typeof e.delta.partial_json === 'string' ? (e.delta.partial_json as string) : '';
            if (piece === '') return skip;
            calls[index].json += piece;
            return calling([{ index, arguments_delta: piece }]);
          }
          const thoughtIndex = thoughtAt.get(e.index);
          if (thoughtIndex !== undefined) return addToThought(thoughtIndex, e.delta);
          return add(e.delta?.type === 'text_delta' ? e.delta.text : undefined);
        }
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
    result: () => {
      const tools = calls.map((c) => ({ type: 'tool_use' as const, id: c.id, name: c.name, input: inputOf(c.json) }));
      const r = anthropicMessageToCanonical({ ...message!, content: [...thoughts, ...(text !== '' || !tools.length ? [{ type: 'text' as const, text }] : []), ...tools] });
      // The arguments as the model wrote them (what the stream's pieces join to), not the input parsed and written again.
      return tools.length ? { ...r, tool_calls: r.tool_calls!.map((t, i) => ({ ...t, arguments: calls[i].json.trim() === '' ? t.arguments : calls[i].json })) } : r;
    },
  };

  /** A piece joined into the blocks so far (see joinThought), and passed on. */
  function thinkingPiece(piece: ThinkingDelta): StreamStep {
    joinThought(thoughts, piece);
    return thought(piece);
  }

  function startThought(at: number, b: { type: string; thinking?: unknown; signature?: unknown; data?: unknown }): StreamStep {
    const index = thoughts.length;
    thoughtAt.set(at, index);
    if (b.type === 'redacted_thinking') return thinkingPiece({ index, redacted: String(b.data ?? '') });
    const signature = typeof b.signature === 'string' ? b.signature : '';
    return thinkingPiece({ index, thinking: typeof b.thinking === 'string' ? b.thinking : '', ...(signature !== '' ? { signature } : {}) });
  }

  /** A thinking_delta adds to the block's text; a signature_delta is its signature. */
  function addToThought(index: number, d: { type?: string; thinking?: unknown; signature?: unknown } | undefined): StreamStep {
    if (thoughts[index].type !== 'thinking') return skip;
    if (d?.type === 'thinking_delta' && typeof d.thinking === 'string' && d.thinking !== '') return thinkingPiece({ index, thinking: d.thinking });
    if (d?.type === 'signature_delta' && typeof d.signature === 'string') return thinkingPiece({ index, signature: d.signature });
    return skip;
  }

  function add(t: unknown): StreamStep {
    const piece = delta(t);
    if (piece.type === 'delta') text += piece.text;
    return piece;
  }
}

/** A tool_use block's input from its pieces joined: throws when they are not JSON (the stream is unreadable). */
function inputOf(json: string): Record<string, unknown> {
  if (json.trim() === '') return {};
  const v = JSON.parse(json);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('a tool_use input that is not a JSON object');
  return v as Record<string, unknown>;
}

/** message_delta's usage counts are cumulative and may leave some out (null): those keep message_start's. */
function merged(start: AnthropicUsage, later: Partial<Record<keyof AnthropicUsage, number | null>> | undefined): AnthropicUsage {
  const out = { ...start };
  for (const [k, v] of Object.entries(later ?? {})) if (typeof v === 'number') (out as Record<string, unknown>)[k] = v;
  return out;
}

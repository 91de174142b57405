import type { CanonicalThinking, Chunk } from '@reqrun/contracts';
import { anthropicErrorBody } from './error-types.js';
import { canonicalToAnthropicMessage } from './messages.translate.js';
import type { SseEvent } from './sse.js';
import { argumentsLeft, type StreamEncoder, type StreamHead } from './stream-encoder.js';

/**
 * Anthropic Messages streaming: `message_start`, `content_block_start`, `ping`, `content_block_delta` (text_delta)…,
 * `content_block_stop`, `message_delta` (stop_reason, stop_sequence, usage), `message_stop`; a failure is
 * `event: error` with Anthropic's error object, and nothing after. The input token count is known only at the end:
 * message_start says 0 and message_delta carries the real counts (the SDK's stream helper takes them from there).
 * An answer with no text has no text block, as the non-streamed message then has none. Thinking streams as Anthropic
 * streams it, before the text: a thinking block opened at its first piece (`thinking: ''`, `signature: ''`), its text
 * in thinking_delta pieces, its signature in a signature_delta, closed when the next block opens; a redacted_thinking
 * block whole in its content_block_start. Blocks a delta carries whole (a stream built from the record) come the same
 * way, each in one thinking_delta. A tool call streams as
 * Anthropic streams one: a tool_use block (`input: {}`) opened at its first piece, its arguments in input_json_delta
 * pieces, closed when the next block opens or at the end; a block is always closed before the next one opens. A call
 * the stream did not carry piece by piece (the provider was asked for the whole answer) comes whole at the end, its
 * input in one input_json_delta.
 */
export function messagesStreamEncoder(head: StreamHead): StreamEncoder {
  let started = false;
  let pinged = false;
  let blocks = 0; // content blocks opened so far: the next one's index
  let textIndex: number | undefined; // the open text block's
  let ended = false;
  const ev = (type: string, rest: object = {}): SseEvent => ({ event: type, data: { type, ...rest } });
  const start = (): SseEvent[] => {
    started = true;
    return [ev('message_start', {
      message: {
        id: head.id, type: 'message', role: 'assistant', model: head.model, content: [], stop_reason: null, stop_sequence: null,
        usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
      },
    })];
  };
  /** Opens the next content block; Anthropic pings once, after the first. */
  const open = (content_block: object): { index: number; events: SseEvent[] } => {
    const index = blocks++;
    const events = [ev('content_block_start', { index, content_block })];
    if (!pinged) events.push(ev('ping'));
    pinged = true;
    return { index, events };
  };
  /** A whole block: opened, its deltas, closed. */
  const block = (content_block: object, deltas: object[]): SseEvent[] => {
    const { index, events } = open(content_block);
    return [...events, ...deltas.map((delta) => ev('content_block_delta', { index, delta })), ev('content_block_stop', { index })];
  };
  const thinkingEvents = (t: CanonicalThinking): SseEvent[] =>
    t.type === 'thinking'
      ? block({ type: 'thinking', thinking: '', signature: '' }, [{ type: 'thinking_delta', thinking: t.thinking }, { type: 'signature_delta', signature: t.signature }])
      : block(t, []);

  /** The block open now (text, a streamed call's tool_use, or a streamed thinking block), closed before another opens. */
  let openBlock: { index: number; call?: number; thought?: number } | undefined;
  /** The thinking blocks streamed so far (by their index among the answer's). */
  const thoughts = new Set<number>();
  /** A streamed thinking block's piece: its block opened at the first, the text and signature as their deltas. */
  const thinkingPiece = (c: Extract<Chunk, { type: 'thinking' }>): SseEvent[] => {
    const out: SseEvent[] = [];
    if (!thoughts.has(c.index)) {
      thoughts.add(c.index);
      out.push(...close());
      if (c.redacted !== undefined) return [...out, ...block({ type: 'redacted_thinking', data: c.redacted }, [])];
      const opened = open({ type: 'thinking', thinking: '', signature: '' });
      openBlock = { index: opened.index, thought: c.index };
      out.push(...opened.events);
    }
    if (openBlock?.thought !== c.index) return out; // a closed block's (never sent: see ChunkWriter)
    if (c.thinking) out.push(ev('content_block_delta', { index: openBlock.index, delta: { type: 'thinking_delta', thinking: c.thinking } }));
    if (c.signature !== undefined) out.push(ev('content_block_delta', { index: openBlock.index, delta: { type: 'signature_delta', signature: c.signature } }));
    return out;
  };
  /** The calls streamed so far, by index: their block and arguments as sent. */
  const calls = new Map<number, { index: number; args: string }>();
  const close = (): SseEvent[] => {
    if (!openBlock) return [];
    const { index } = openBlock;
    openBlock = undefined;
    textIndex = undefined;
    return [ev('content_block_stop', { index })];
  };

  return {
    push(c: Chunk): SseEvent[] {
      if (ended) return [];
      const out = started ? [] : start();
      switch (c.type) {
        case 'delta':
          for (const t of c.thinking ?? []) out.push(...close(), ...thinkingEvents(t));
          if (c.text === '') return out;
          if (textIndex === undefined) {
            out.push(...close());
            const opened = open({ type: 'text', text: '' });
            textIndex = opened.index;
            openBlock = { index: opened.index };
            out.push(...opened.events);
          }
          out.push(ev('content_block_delta', { index: textIndex, delta: { type: 'text_delta', text: c.text } }));
          return out;
        case 'thinking':
          out.push(...thinkingPiece(c));
          return out;
        case 'tool_call': {
          let k = calls.get(c.index);
          if (!k) {
            out.push(...close());
            const opened = open({ type: 'tool_use', id: c.id ?? '', name: c.name ?? '', input: {} });
            k = { index: opened.index, args: '' };
            calls.set(c.index, k);
            openBlock = { index: opened.index, call: c.index };
            out.push(...opened.events);
          }
          if (openBlock?.call !== c.index || c.arguments === '') return out; // a closed call's (never sent: see ChunkWriter)
          k.args += c.arguments;
          out.push(ev('content_block_delta', { index: k.index, delta: { type: 'input_json_delta', partial_json: c.arguments } }));
          return out;
        }
        case 'end': {
          ended = true;
          const m = canonicalToAnthropicMessage({ model: c.model, text: '', tool_calls: c.tool_calls, finish_reason: c.finish_reason, stop_sequence: c.stop_sequence, usage: c.usage }, head);
          const uses = m.content.filter((b) => b.type === 'tool_use');
          // a streamed call whose pieces stopped short of its arguments (see ChunkWriter): the rest before it closes
          const last = openBlock?.call === undefined ? undefined : calls.get(openBlock.call);
          const full = openBlock?.call === undefined ? undefined : c.tool_calls?.[openBlock.call]?.arguments;
          const left = last && full !== undefined ? argumentsLeft(full, last.args) : '';
          if (left) out.push(ev('content_block_delta', { index: last!.index, delta: { type: 'input_json_delta', partial_json: left } }));
          out.push(...close());
          for (const [i, use] of uses.entries()) {
            if (calls.has(i)) continue;
            const { input, ...call } = use as { input: unknown; type: 'tool_use' };
            out.push(...block({ ...call, input: {} }, [{ type: 'input_json_delta', partial_json: JSON.stringify(input) }]));
          }
          out.push(ev('message_delta', { delta: { stop_reason: m.stop_reason, stop_sequence: m.stop_sequence, stop_details: null }, usage: m.usage }), ev('message_stop'));
          return out;
        }
        case 'error':
          ended = true;
          return [{ event: 'error', data: anthropicErrorBody(c.error, head.id) }];
        default:
          return out; // a kind added later
      }
    },
  };
}

import type { Chunk } from '@reqrun/contracts';
import { anthropicErrorBody } from './error-types.js';
import { canonicalToAnthropicMessage } from './messages.translate.js';
import type { SseEvent } from './sse.js';
import type { StreamEncoder, StreamHead } from './stream-encoder.js';

/**
 * Anthropic Messages streaming: `message_start`, `content_block_start`, `ping`, `content_block_delta` (text_delta)…,
 * `content_block_stop`, `message_delta` (stop_reason, stop_sequence, usage), `message_stop`; a failure is
 * `event: error` with Anthropic's error object, and nothing after. The input token count is known only at the end:
 * message_start says 0 and message_delta carries the real counts (the SDK's stream helper takes them from there).
 * An answer with no text has no content block, as the non-streamed message then has no content. Tool calls come
 * whole at the end, a tool_use block each with its input in one input_json_delta (ReqRun does not stream them).
 */
export function messagesStreamEncoder(head: StreamHead): StreamEncoder {
  let started = false;
  let blockOpen = false;
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

  return {
    push(c: Chunk): SseEvent[] {
      if (ended) return [];
      const out = started ? [] : start();
      switch (c.type) {
        case 'delta':
          if (!blockOpen) {
            blockOpen = true;
            out.push(ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }), ev('ping'));
          }
          out.push(ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: c.text } }));
          return out;
        case 'end': {
          ended = true;
          const m = canonicalToAnthropicMessage({ model: c.model, text: '', tool_calls: c.tool_calls, finish_reason: c.finish_reason, stop_sequence: c.stop_sequence, usage: c.usage }, head);
          if (blockOpen) out.push(ev('content_block_stop', { index: 0 }));
          for (const [k, block] of m.content.entries()) {
            if (block.type !== 'tool_use') continue;
            const { input, ...call } = block as { input: unknown; type: 'tool_use' };
            const index = (blockOpen ? 1 : 0) + k;
            out.push(
              ev('content_block_start', { index, content_block: { ...call, input: {} } }),
              ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(input) } }),
              ev('content_block_stop', { index }),
            );
          }
          out.push(ev('message_delta', { delta: { stop_reason: m.stop_reason, stop_sequence: m.stop_sequence, stop_details: null }, usage: m.usage }), ev('message_stop'));
          return out;
        }
        case 'error':
          ended = true;
          return [{ event: 'error', data: anthropicErrorBody(c.error, head.id) }];
      }
    },
  };
}

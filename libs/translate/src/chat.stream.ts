import type { Chunk } from '@reqrun/contracts';
import { chatUsage } from './chat.translate.js';
import { openAIErrorBody } from './error-types.js';
import type { SseEvent } from './sse.js';
import type { StreamEncoder, StreamHead } from './stream-encoder.js';

/**
 * Chat Completions streaming: `chat.completion.chunk` objects, the first with the role, then content deltas, one
 * with the finish reason, the usage in a last chunk with no choices when `stream_options.include_usage`, then
 * `data: [DONE]`. Tool calls come whole, in one chunk before the finish reason (ReqRun does not stream them). A failure is `data: {"error":{...}}` (the openai SDKs throw an APIError on it) and nothing after.
 */
export function chatStreamEncoder(head: StreamHead): StreamEncoder {
  const includeUsage = (head.request?.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
  let started = false;
  let ended = false;
  const chunk = (choices: object[], usage?: object): SseEvent => ({
    data: {
      id: head.id, object: 'chat.completion.chunk', created: head.created, model: head.model, choices,
      ...(includeUsage ? { usage: usage ?? null } : {}),
    },
  });
  const choice = (delta: object, finish: string | null = null) => ({ index: 0, delta, logprobs: null, finish_reason: finish });
  const first = (text: string) => {
    started = true;
    return chunk([choice({ role: 'assistant', content: text, refusal: null })]);
  };

  return {
    push(c: Chunk): SseEvent[] {
      if (ended) return [];
      switch (c.type) {
        case 'delta':
          if (c.text === '') return []; // thinking alone: chat answers leave it out
          return [started ? chunk([choice({ content: c.text })]) : first(c.text)];
        case 'end': {
          ended = true;
          const calls = c.tool_calls?.map((t, index) => ({ index, id: t.id, type: 'function', function: { name: t.name, arguments: t.arguments } }));
          const before: SseEvent[] = [];
          if (calls?.length) before.push(chunk([choice(started ? { tool_calls: calls } : { role: 'assistant', content: null, refusal: null, tool_calls: calls })]));
          else if (!started) before.push(first(''));
          return [
            ...before,
            chunk([choice({}, c.finish_reason)]),
            ...(includeUsage ? [chunk([], chatUsage(c.usage))] : []),
            { data: '[DONE]' },
          ];
        }
        case 'error':
          ended = true;
          return [{ data: openAIErrorBody(c.error) }];
      }
    },
  };
}

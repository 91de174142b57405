import type { Chunk } from '@reqrun/contracts';
import { chatUsage } from './chat.translate.js';
import { openAIErrorBody } from './error-types.js';
import type { SseEvent } from './sse.js';
import { argumentsLeft, type StreamEncoder, type StreamHead } from './stream-encoder.js';

/**
 * Chat Completions streaming: `chat.completion.chunk` objects, the first with the role, then content deltas, one
 * with the finish reason, the usage in a last chunk with no choices when `stream_options.include_usage`, then
 * `data: [DONE]`. Tool calls stream as OpenAI streams them: `delta.tool_calls` fragments with the call's `index`, the
 * first with its `id`, `type: "function"`, `function.name` and `arguments: ""`, then `function.arguments` pieces; a
 * call the stream did not carry piece by piece (the provider was asked for the whole answer) comes whole, all such in
 * one chunk before the finish reason, and a call whose pieces stopped short of the end's is finished there. A failure
 * is `data: {"error":{...}}` (the openai SDKs throw an APIError on it) and nothing after.
 */
export function chatStreamEncoder(head: StreamHead): StreamEncoder {
  const includeUsage = (head.request?.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
  let started = false;
  let ended = false;
  /** The calls streamed so far, by index: their arguments as sent. */
  const streamed = new Map<number, string>();
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
  /** A delta carrying tool_calls fragments; the stream's first also has the role. */
  const calling = (tool_calls: object[]): SseEvent => {
    const delta = started ? { tool_calls } : { role: 'assistant', content: null, refusal: null, tool_calls };
    started = true;
    return chunk([choice(delta)]);
  };

  return {
    push(c: Chunk): SseEvent[] {
      if (ended) return [];
      switch (c.type) {
        case 'delta':
          if (c.text === '') return []; // thinking alone: chat answers leave it out
          return [started ? chunk([choice({ content: c.text })]) : first(c.text)];
        case 'tool_call': {
          const sent = streamed.get(c.index);
          if (sent === undefined) {
            streamed.set(c.index, c.arguments);
            // OpenAI's first fragment of a call: its id, type and name, arguments '' (then the pieces)
            const start = { index: c.index, id: c.id ?? '', type: 'function', function: { name: c.name ?? '', arguments: '' } };
            return c.arguments === '' ? [calling([start])] : [calling([start]), calling([{ index: c.index, function: { arguments: c.arguments } }])];
          }
          if (c.arguments === '') return [];
          streamed.set(c.index, sent + c.arguments);
          return [calling([{ index: c.index, function: { arguments: c.arguments } }])];
        }
        case 'end': {
          ended = true;
          const before: SseEvent[] = [];
          const whole: object[] = [];
          for (const [index, t] of (c.tool_calls ?? []).entries()) {
            const sent = streamed.get(index);
            if (sent === undefined) {
              whole.push({ index, id: t.id, type: 'function', function: { name: t.name, arguments: t.arguments } });
              continue;
            }
            const left = argumentsLeft(t.arguments, sent);
            if (left) before.push(calling([{ index, function: { arguments: left } }]));
          }
          if (whole.length) before.push(calling(whole));
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
        default:
          return []; // a kind added later
      }
    },
  };
}

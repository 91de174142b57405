import { ErrorCode, type Chunk } from '@reqrun/contracts';
import { canonicalToResponse, responseWithoutOutput, type OutputMessage, type ResponseObject, type ResponsesFunctionCall } from './responses.translate.js';
import type { SseEvent } from './sse.js';
import type { StreamEncoder, StreamHead } from './stream-encoder.js';

/**
 * OpenAI Responses streaming: `response.created`, `response.in_progress`, `response.output_item.added`,
 * `response.content_part.added`, `response.output_text.delta`…, `response.output_text.done`,
 * `response.content_part.done`, `response.output_item.done`, then `response.completed` (or `response.incomplete`
 * when cut) with the response as GET returns it. Function calls come whole after the message (when there is one):
 * `response.output_item.added`, `response.function_call_arguments.delta` (all of them), `.done`,
 * `response.output_item.done` each (ReqRun does not stream them). Every event has a `sequence_number` from 0, the same for the
 * same chunks on every read, so a client resumes with `starting_after`.
 *
 * A failure is `response.failed` (the response as GET shows it: failed with its error, or cancelled), then an
 * `error` event: the SDK's stream helper rejects on `error`, while a client reading raw events still sees the final
 * response in `response.failed`.
 */
export function responsesStreamEncoder(head: StreamHead): StreamEncoder {
  const itemId = `msg_${head.id.replace(/^rr_/, '')}`;
  const identity = { id: head.id, created: head.created, request: head.request };
  let seq = 0;
  let started = false;
  let itemOpen = false;
  let ended = false;
  let text = '';
  const ev = (type: string, rest: object): SseEvent => ({ event: type, data: { type, sequence_number: seq++, ...rest } });
  const at = { output_index: 0 };
  const inText = { item_id: itemId, output_index: 0, content_index: 0 };
  const part = (t: string) => ({ type: 'output_text', text: t, annotations: [], logprobs: [] });
  const item = (status: OutputMessage['status'] | 'in_progress', t?: string) => ({
    id: itemId, type: 'message', role: 'assistant', status, content: t === undefined ? [] : [part(t)],
  });

  const start = (): SseEvent[] => {
    started = true;
    const shell = (status: 'queued' | 'in_progress') => ({ ...responseWithoutOutput(identity, head.model, status), completed_at: null });
    return [
      ev('response.created', { response: shell(head.request?.background === true ? 'queued' : 'in_progress') }),
      ev('response.in_progress', { response: shell('in_progress') }),
    ];
  };
  const openItem = (): SseEvent[] => {
    itemOpen = true;
    return [ev('response.output_item.added', { ...at, item: item('in_progress') }), ev('response.content_part.added', { ...inText, part: part('') })];
  };

  return {
    push(c: Chunk, atMs?: number): SseEvent[] {
      if (ended) return [];
      const out = started ? [] : start();
      switch (c.type) {
        case 'delta':
          if (c.text === '') return out; // thinking alone: Responses answers leave it out
          if (!itemOpen) out.push(...openItem());
          text += c.text;
          out.push(ev('response.output_text.delta', { ...inText, delta: c.text, logprobs: [] }));
          return out;
        case 'end': {
          ended = true;
          const response: ResponseObject = {
            ...canonicalToResponse({ model: c.model, text, tool_calls: c.tool_calls, finish_reason: c.finish_reason, usage: c.usage }, identity),
            completed_at: atMs === undefined ? null : Math.floor(atMs / 1000),
          };
          for (const [output_index, o] of response.output.entries()) {
            if (o.type === 'message') {
              if (!itemOpen) out.push(...openItem());
              out.push(
                ev('response.output_text.done', { ...inText, text, logprobs: [] }),
                ev('response.content_part.done', { ...inText, part: part(text) }),
                ev('response.output_item.done', { ...at, item: o as OutputMessage }),
              );
              continue;
            }
            const call = o as ResponsesFunctionCall;
            const inCall = { item_id: call.id, output_index };
            out.push(
              ev('response.output_item.added', { output_index, item: { ...call, status: 'in_progress', arguments: '' } }),
              ev('response.function_call_arguments.delta', { ...inCall, delta: call.arguments }),
              ev('response.function_call_arguments.done', { ...inCall, name: call.name, arguments: call.arguments }),
              ev('response.output_item.done', { output_index, item: call }),
            );
          }
          out.push(ev(response.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response }));
          return out;
        }
        case 'error': {
          ended = true;
          const cancelled = c.error.code === ErrorCode.Cancelled;
          const response = cancelled
            ? responseWithoutOutput(identity, head.model, 'cancelled')
            : responseWithoutOutput(identity, head.model, 'failed', { code: c.error.code, message: c.error.message });
          out.push(
            ev('response.failed', { response: { ...response, completed_at: null } }),
            ev('error', { code: c.error.code, message: c.error.message, param: null }),
          );
          return out;
        }
      }
    },
  };
}

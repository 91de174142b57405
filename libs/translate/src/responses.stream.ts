import { ErrorCode, type Chunk } from '@reqrun/contracts';
import { canonicalToResponse, responseWithoutOutput, type OutputMessage, type ResponseObject, type ResponsesFunctionCall } from './responses.translate.js';
import type { SseEvent } from './sse.js';
import { argumentsLeft, type StreamEncoder, type StreamHead } from './stream-encoder.js';

/**
 * OpenAI Responses streaming: `response.created`, `response.in_progress`, `response.output_item.added`,
 * `response.content_part.added`, `response.output_text.delta`…, `response.output_text.done`,
 * `response.content_part.done`, `response.output_item.done`, then `response.completed` (or `response.incomplete`
 * when cut) with the response as GET returns it. A function call: `response.output_item.added` (the function_call
 * item, in progress, arguments ''), `response.function_call_arguments.delta` per piece as the model writes them,
 * `.done`, `response.output_item.done`; an item is done before the next one is added (the message before the first
 * call). A call the stream did not carry piece by piece (the provider was asked for the whole answer) comes whole
 * at the end, its arguments in one delta. Every event has a `sequence_number` from 0, the same for the same chunks
 * on every read, so a client resumes with `starting_after`.
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

  /** The calls streamed so far, by index: their output_index, arguments as sent, whether their item is done. */
  const calls = new Map<number, { output_index: number; id: string; call_id: string; name: string; args: string; done: boolean }>();
  let textDone = false;
  let outputs = 0; // output items added so far: the next one's output_index

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
    outputs++;
    return [ev('response.output_item.added', { ...at, item: item('in_progress') }), ev('response.content_part.added', { ...inText, part: part('') })];
  };
  /** The message item's last events, `o` its final shape. */
  const closeText = (o: OutputMessage): SseEvent[] => {
    textDone = true;
    return [
      ev('response.output_text.done', { ...inText, text, logprobs: [] }),
      ev('response.content_part.done', { ...inText, part: part(text) }),
      ev('response.output_item.done', { ...at, item: o }),
    ];
  };
  const callItem = (k: { id: string; call_id: string; name: string }, args: string, status: 'in_progress' | 'completed') =>
    ({ id: k.id, type: 'function_call', status, call_id: k.call_id, name: k.name, arguments: args }) as ResponsesFunctionCall;
  /** A streamed call's last events; `args`: its whole arguments (the end's), the rest of which is sent first. */
  const closeCall = (k: NonNullable<ReturnType<typeof calls.get>>, args = k.args): SseEvent[] => {
    k.done = true;
    const inCall = { item_id: k.id, output_index: k.output_index };
    const left = argumentsLeft(args, k.args);
    const rest = left ? [ev('response.function_call_arguments.delta', { ...inCall, delta: left })] : [];
    return [
      ...rest,
      ev('response.function_call_arguments.done', { ...inCall, name: k.name, arguments: args }),
      ev('response.output_item.done', { output_index: k.output_index, item: callItem(k, args, 'completed') }),
    ];
  };
  /** Closes the item still open (the message, or the call being streamed), before another is added. */
  const closeOpen = (): SseEvent[] => {
    if (itemOpen && !textDone) return closeText(item('completed', text) as OutputMessage);
    const open = [...calls.values()].find((k) => !k.done);
    return open ? closeCall(open) : [];
  };

  return {
    push(c: Chunk, atMs?: number): SseEvent[] {
      if (ended) return [];
      const out = started ? [] : start();
      switch (c.type) {
        case 'delta':
          if (c.text === '' || textDone || calls.size > 0) {
            // thinking alone: Responses answers leave it out; text after the calls began (providers do not do that)
            // is in the message of response.completed only
            if (c.text !== '' && !textDone) text += c.text;
            return out;
          }
          if (!itemOpen) out.push(...openItem());
          text += c.text;
          out.push(ev('response.output_text.delta', { ...inText, delta: c.text, logprobs: [] }));
          return out;
        case 'tool_call': {
          let k = calls.get(c.index);
          if (!k) {
            out.push(...closeOpen());
            k = { output_index: outputs++, id: `fc_${head.id.replace(/^rr_/, '')}_${c.index}`, call_id: c.id ?? '', name: c.name ?? '', args: '', done: false };
            calls.set(c.index, k);
            out.push(ev('response.output_item.added', { output_index: k.output_index, item: callItem(k, '', 'in_progress') }));
          }
          if (k.done || c.arguments === '') return out;
          k.args += c.arguments;
          out.push(ev('response.function_call_arguments.delta', { item_id: k.id, output_index: k.output_index, delta: c.arguments }));
          return out;
        }
        case 'end': {
          ended = true;
          const response: ResponseObject = {
            ...canonicalToResponse({ model: c.model, text, tool_calls: c.tool_calls, finish_reason: c.finish_reason, usage: c.usage }, identity),
            completed_at: atMs === undefined ? null : Math.floor(atMs / 1000),
          };
          let callIndex = 0;
          for (const [output_index, o] of response.output.entries()) {
            if (o.type === 'message') {
              if (textDone) continue;
              if (!itemOpen) out.push(...openItem());
              out.push(...closeText(o as OutputMessage));
              continue;
            }
            const call = o as ResponsesFunctionCall;
            const k = calls.get(callIndex++);
            if (k) {
              if (!k.done) out.push(...closeCall(k, call.arguments));
              continue;
            }
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
        default:
          return out; // a kind added later
      }
    },
  };
}

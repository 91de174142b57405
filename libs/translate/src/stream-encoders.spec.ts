import type { Api, Chunk } from '@reqrun/contracts';
import { anthropicStreamEventErrors } from '../../../test/support/anthropic-shapes.js';
import { responseEventErrors, schemaErrors } from '../../../test/support/openai-schema.js';
import { canonicalToResponse } from './responses.translate.js';
import { keepAliveText, sseText, type SseEvent } from './sse.js';
import { streamEncoder } from './stream-encoders.js';
import type { StreamHead } from './stream-encoder.js';

const id = 'rr_01J00000000000000000000000';
const head = (request: Record<string, unknown> = {}): StreamHead => ({ id, created: 17, model: 'm', request: { model: 'm', ...request } });
const usage = { input_tokens: 3, output_tokens: 2 };
const delta = (seq: number, text: string): Chunk => ({ type: 'delta', attempt: 2, seq, text });
const end = (seq: number, o: Partial<Extract<Chunk, { type: 'end' }>> = {}): Chunk => ({ type: 'end', attempt: 2, seq, model: 'm', finish_reason: 'stop', usage, ...o });
const error = (seq: number, code = 'upstream_error', status = 502): Chunk => ({ type: 'error', attempt: 2, seq, error: { code, message: 'it broke', status, retryable: false } });

const answer = [delta(0, 'Hel'), delta(1, 'lo'), end(2)];
const run = (api: Api, chunks: Chunk[], h = head(), at?: number): SseEvent[] => {
  const sut = streamEncoder(api, h);
  return chunks.flatMap((c) => sut.push(c, at));
};
const types = (events: SseEvent[]) => events.map((e) => (typeof e.data === 'string' ? e.data : (e.data as { type?: string }).type ?? 'chunk'));
const data = (events: SseEvent[]) => events.map((e) => e.data as Record<string, any>);

describe('chat stream encoder', () => {
  it('sends the role first, then the content, the finish reason and [DONE]; every chunk matches OpenAI schema', () => {
    const events = run('chat', answer);
    expect(events.at(-1)).toEqual({ data: '[DONE]' });
    const chunks = data(events.slice(0, -1));
    expect(chunks.map((c) => c.choices[0].delta)).toEqual([{ role: 'assistant', content: 'Hel', refusal: null }, { content: 'lo' }, {}]);
    expect(chunks.map((c) => c.choices[0].finish_reason)).toEqual([null, null, 'stop']);
    for (const c of chunks) {
      expect(c).toMatchObject({ id, object: 'chat.completion.chunk', created: 17, model: 'm' });
      expect(c).not.toHaveProperty('usage');
      expect(schemaErrors('CreateChatCompletionStreamResponse', c)).toEqual([]);
    }
    expect(events.every((e) => e.event === undefined)).toBe(true);
  });

  it('with stream_options.include_usage: usage null on each chunk, then a chunk with no choices and the usage', () => {
    const chunks = data(run('chat', answer, head({ stream_options: { include_usage: true } })).slice(0, -1));
    expect(chunks.slice(0, -1).map((c) => c.usage)).toEqual([null, null, null]);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } });
    for (const c of chunks) expect(schemaErrors('CreateChatCompletionStreamResponse', c)).toEqual([]);
  });

  it.each([
    ['an answer with no text: the role chunk, empty', [end(0, { finish_reason: 'length' })], [{ role: 'assistant', content: '', refusal: null }, {}], 'length'],
  ] as const)('%s', (_n, chunks, deltas, finish) => {
    const chunksOut = data(run('chat', [...chunks]).slice(0, -1));
    expect(chunksOut.map((c) => c.choices[0].delta)).toEqual(deltas);
    expect(chunksOut.at(-1)!.choices[0].finish_reason).toBe(finish);
  });

  it.each([
    ['before any text', [error(0, 'upstream_rejected', 400)], 'invalid_request_error', 'upstream_rejected'],
    ['mid-stream', [delta(0, 'Hel'), error(1)], 'server_error', 'upstream_error'],
  ] as const)('a failure %s is data: {"error":…} in OpenAI envelope, with no [DONE] after it', (_n, chunks, type, code) => {
    const events = run('chat', [...chunks, delta(9, 'late'), end(10)]);
    expect(events.at(-1)).toEqual({ data: { error: { message: 'it broke', type, param: null, code } } });
    expect(schemaErrors('ErrorResponse', events.at(-1)!.data)).toEqual([]);
    expect(types(events)).not.toContain('[DONE]');
  });
});

describe('messages stream encoder', () => {
  it("sends Anthropic's named events in order; message_delta carries the stop reason and the real usage", () => {
    const events = run('messages', answer);
    expect(types(events)).toEqual([
      'message_start', 'content_block_start', 'ping', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop',
    ]);
    for (const e of events) expect(anthropicStreamEventErrors(e)).toEqual([]);
    const d = data(events);
    expect(d[0].message).toMatchObject({ id, type: 'message', role: 'assistant', model: 'm', content: [], stop_reason: null });
    expect(d.filter((x) => x.type === 'content_block_delta').map((x) => x.delta.text).join('')).toBe('Hello');
    expect(d[6]).toEqual({
      type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null, stop_details: null },
      usage: { input_tokens: 3, output_tokens: 2, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    });
  });

  it.each([
    ['a stop sequence', end(0, { stop_sequence: 'x' }), { stop_reason: 'stop_sequence', stop_sequence: 'x', stop_details: null }],
    ['the token limit', end(0, { finish_reason: 'length' }), { stop_reason: 'max_tokens', stop_sequence: null, stop_details: null }],
  ] as const)('an answer ended by %s with no text: no content block', (_n, last, want) => {
    const events = run('messages', [last]);
    expect(types(events)).toEqual(['message_start', 'message_delta', 'message_stop']);
    expect(data(events)[1].delta).toEqual(want);
  });

  it.each([
    ['before any text', [error(0, 'upstream_overloaded', 529)], ['error'], 'overloaded_error'],
    ['mid-stream', [delta(0, 'Hel'), error(1)], ['message_start', 'content_block_start', 'ping', 'content_block_delta', 'error'], 'api_error'],
  ] as const)('a failure %s is event: error with Anthropic error object, and nothing after it', (_n, chunks, want, type) => {
    const events = run('messages', [...chunks, end(9)]);
    expect(types(events)).toEqual(want);
    expect(events.at(-1)).toEqual({ event: 'error', data: { type: 'error', error: { type, message: 'it broke' }, request_id: id } });
    for (const e of events) expect(anthropicStreamEventErrors(e)).toEqual([]);
  });
});

describe('responses stream encoder', () => {
  const body = { input: 'hi', metadata: { k: 'v' } };
  const at = 20_500;

  it('sends the Responses events with sequence numbers from 0, each matching OpenAI schema', () => {
    const events = run('responses', answer, head(body), at);
    expect(types(events)).toEqual([
      'response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added',
      'response.output_text.delta', 'response.output_text.delta', 'response.output_text.done', 'response.content_part.done',
      'response.output_item.done', 'response.completed',
    ]);
    expect(data(events).map((d) => d.sequence_number)).toEqual(events.map((_e, i) => i));
    for (const e of events) expect(responseEventErrors(e)).toEqual([]);
    const d = data(events);
    expect(d[0].response).toMatchObject({ id, status: 'in_progress', output: [], metadata: { k: 'v' } });
    expect(d[6]).toMatchObject({ text: 'Hello', item_id: `msg_${id.slice(3)}` });
  });

  it('ends with the response GET returns: the stored result of the same answer, completed when the last chunk was stored', () => {
    const completed = data(run('responses', answer, head(body), at)).at(-1)!.response;
    const stored = canonicalToResponse({ model: 'm', text: 'Hello', finish_reason: 'stop', usage }, { id, created: 17, request: head(body).request });
    expect(completed).toEqual({ ...stored, completed_at: 20 });
  });

  it('is deterministic: the same chunks give the same events, sequence numbers included', () => {
    const chunks = [delta(0, 'a'), delta(1, 'b'), delta(2, 'c'), end(3, { finish_reason: 'length' })];
    const first = run('responses', chunks, head(body), at);
    expect(run('responses', chunks, head(body), at)).toEqual(first);
    expect(types(first).at(-1)).toBe('response.incomplete');
    for (const e of first) expect(responseEventErrors(e)).toEqual([]);
  });

  it('a background response is created queued', () => {
    expect(data(run('responses', answer, head({ ...body, background: true })))[0].response).toMatchObject({ status: 'queued', background: true });
  });

  it.each([
    ['mid-stream', [delta(0, 'Hel'), error(1)], 'failed', { code: 'upstream_error', message: 'it broke' }, 'upstream_error'],
    ['before any text', [error(0)], 'failed', { code: 'upstream_error', message: 'it broke' }, 'upstream_error'],
    ['by a cancel', [error(0, 'request_cancelled', 409)], 'cancelled', null, 'request_cancelled'],
  ] as const)('a failure %s: response.failed with the response as GET shows it, then an error event; nothing after', (_n, chunks, status, err, code) => {
    const events = run('responses', [...chunks, end(9)], head(body));
    expect(types(events).slice(-2)).toEqual(['response.failed', 'error']);
    expect(types(events).slice(0, 2)).toEqual(['response.created', 'response.in_progress']);
    const [failed, e] = data(events).slice(-2);
    expect(failed.response).toMatchObject({ status, error: err, output: [] });
    expect(e).toEqual({ type: 'error', sequence_number: events.length - 1, code, message: 'it broke', param: null });
    // OpenAI's schema lists only its own error codes: the failed response conforms apart from ReqRun's code.
    for (const x of events) expect(responseEventErrors(x.event === 'response.failed' ? { ...x, data: { ...(x.data as object), response: { ...failed.response, error: null } } } : x)).toEqual([]);
  });
});

describe('SSE text', () => {
  it.each([
    [{ data: '[DONE]' }, 'data: [DONE]\n\n'],
    [{ event: 'ping', data: { type: 'ping' } }, 'event: ping\ndata: {"type":"ping"}\n\n'],
    [{ data: { text: 'two\nlines' } }, 'data: {"text":"two\\nlines"}\n\n'],
  ] as const)('%j', (e, want) => {
    expect(sseText(e)).toBe(want);
  });

  it('keeps a stream alive with a comment for OpenAI shapes and a ping for Anthropic', () => {
    expect(keepAliveText('chat')).toBe(': keep-alive\n\n');
    expect(keepAliveText('responses')).toBe(': keep-alive\n\n');
    expect(keepAliveText('messages')).toBe('event: ping\ndata: {"type":"ping"}\n\n');
  });
});

describe('tool calls after text (every encoder): the text first, then the calls whole, in each API shape', () => {
  const calls = [{ id: 'call_1', name: 'f', arguments: '{"a":1}' }, { id: 'call_2', name: 'g', arguments: '{}' }];
  const withCalls = [delta(0, 'Let me look.'), end(1, { finish_reason: 'tool_calls', tool_calls: calls })];

  it('chat: a chunk with both calls (indexed), then the finish reason', () => {
    const chunks = data(run('chat', withCalls).slice(0, -1));
    expect(chunks.map((c) => c.choices[0].delta)).toEqual([
      { role: 'assistant', content: 'Let me look.', refusal: null },
      { tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }, { index: 1, id: 'call_2', type: 'function', function: { name: 'g', arguments: '{}' } }] },
      {},
    ]);
    expect(chunks.at(-1)!.choices[0].finish_reason).toBe('tool_calls');
    for (const c of chunks) expect(schemaErrors('CreateChatCompletionStreamResponse', c)).toEqual([]);
  });

  it('messages: the text block, then a tool_use block each, its input in one input_json_delta', () => {
    const events = run('messages', withCalls);
    for (const e of events) expect(anthropicStreamEventErrors(e)).toEqual([]);
    const blocks = data(events).filter((e) => e.type === 'content_block_start' || e.type === 'content_block_delta');
    expect(blocks.map((b) => (b.content_block ? [b.index, b.content_block.type, b.content_block.name] : [b.index, b.delta.type, b.delta.partial_json ?? b.delta.text]))).toEqual([
      [0, 'text', undefined], [0, 'text_delta', 'Let me look.'], [1, 'tool_use', 'f'], [1, 'input_json_delta', '{"a":1}'], [2, 'tool_use', 'g'], [2, 'input_json_delta', '{}'],
    ]);
    expect(data(events).find((e) => e.type === 'message_delta')!.delta.stop_reason).toBe('tool_use');
  });

  it('responses: the message at output 0, the calls at 1 and 2, and the completed response holds all three', () => {
    const events = run('responses', withCalls);
    for (const e of events) expect(responseEventErrors(e)).toEqual([]);
    const done = data(events).filter((e) => e.type === 'response.output_item.done');
    expect(done.map((e) => [e.output_index, e.item.type])).toEqual([[0, 'message'], [1, 'function_call'], [2, 'function_call']]);
    expect(data(events).at(-1)!.response.output.map((o: any) => o.type)).toEqual(['message', 'function_call', 'function_call']);
  });
});

describe('thinking carried whole by a delta (a stream built from the record): whole blocks ahead of the text', () => {
  const thought = { type: 'thinking' as const, thinking: 'Weather, then.', signature: 'sig-1' };
  const redacted = { type: 'redacted_thinking' as const, data: 'opaque' };
  const thinking = (seq: number, text: string): Chunk => ({ ...delta(seq, text), thinking: [thought, redacted] } as Chunk);
  /** [index, block or delta type, what it carries] of every block event. */
  const blocks = (events: SseEvent[]) =>
    data(events).filter((e) => e.type.startsWith('content_block')).map((e) => [e.type.replace('content_block_', ''), e.index, e.content_block?.type ?? e.delta?.type ?? '', e.delta?.thinking ?? e.delta?.signature ?? e.delta?.text ?? e.content_block?.data ?? '']);

  it('messages: a thinking block (its text in a thinking_delta, then a signature_delta), a redacted_thinking block whole, then the text, each its own index', () => {
    const events = run('messages', [thinking(0, 'Sunny.'), end(1)]);
    for (const e of events) expect(anthropicStreamEventErrors(e)).toEqual([]);
    expect(types(events).slice(0, 3)).toEqual(['message_start', 'content_block_start', 'ping']);
    expect(data(events)[1].content_block).toEqual({ type: 'thinking', thinking: '', signature: '' });
    expect(blocks(events)).toEqual([
      ['start', 0, 'thinking', ''], ['delta', 0, 'thinking_delta', 'Weather, then.'], ['delta', 0, 'signature_delta', 'sig-1'], ['stop', 0, '', ''],
      ['start', 1, 'redacted_thinking', 'opaque'], ['stop', 1, '', ''],
      ['start', 2, 'text', ''], ['delta', 2, 'text_delta', 'Sunny.'], ['stop', 2, '', ''],
    ]);
    expect(types(events).filter((t) => t === 'ping')).toHaveLength(1);
  });

  it('messages: thinking and calls, no text: the thinking blocks, then the tool_use blocks after them', () => {
    const events = run('messages', [thinking(0, ''), end(1, { finish_reason: 'tool_calls', tool_calls: [{ id: 'call_1', name: 'f', arguments: '{}' }] })]);
    for (const e of events) expect(anthropicStreamEventErrors(e)).toEqual([]);
    expect(blocks(events).filter(([kind]) => kind === 'start').map(([, index, type]) => [index, type])).toEqual([[0, 'thinking'], [1, 'redacted_thinking'], [2, 'tool_use']]);
  });

  it('chat and Responses leave thinking out: a delta of thinking alone sends nothing, and the text goes as without it', () => {
    const calls = end(1, { finish_reason: 'tool_calls', tool_calls: [{ id: 'call_1', name: 'f', arguments: '{}' }] });
    for (const api of ['chat', 'responses'] as const) {
      expect(run(api, [thinking(0, ''), calls])).toEqual(run(api, [calls]));
      expect(run(api, [thinking(0, 'Sunny.'), end(1)])).toEqual(run(api, [delta(0, 'Sunny.'), end(1)]));
    }
  });
});

describe('tool calls streamed piece by piece (tool_call chunks): each API as its own service streams them', () => {
  const piece = (seq: number, index: number, args: string, start?: { id: string; name: string }): Chunk => ({ type: 'tool_call', attempt: 2, seq, index, ...(start ?? {}), arguments: args });
  const calls = [{ id: 'call_1', name: 'f', arguments: '{"a": 1}' }, { id: 'call_2', name: 'g', arguments: '{}' }];
  const streamed = [
    delta(0, 'Let me look.'),
    piece(1, 0, '', { id: 'call_1', name: 'f' }), piece(2, 0, '{"a":'), piece(3, 0, ' 1}'),
    piece(4, 1, '{', { id: 'call_2', name: 'g' }), piece(5, 1, '}'),
    end(6, { finish_reason: 'tool_calls', tool_calls: calls }),
  ];

  it('chat: delta.tool_calls with the index, the first fragment with id, type, name and arguments "", then the pieces', () => {
    const chunks = data(run('chat', streamed).slice(0, -1));
    for (const c of chunks) expect(schemaErrors('CreateChatCompletionStreamResponse', c)).toEqual([]);
    expect(chunks.map((c) => c.choices[0].delta)).toEqual([
      { role: 'assistant', content: 'Let me look.', refusal: null },
      { tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"a":' } }] },
      { tool_calls: [{ index: 0, function: { arguments: ' 1}' } }] },
      { tool_calls: [{ index: 1, id: 'call_2', type: 'function', function: { name: 'g', arguments: '' } }] },
      { tool_calls: [{ index: 1, function: { arguments: '{' } }] },
      { tool_calls: [{ index: 1, function: { arguments: '}' } }] },
      {},
    ]);
    expect(chunks.at(-1)!.choices[0].finish_reason).toBe('tool_calls');
  });

  it('chat: calls alone, the first fragment carries the role; a call whose pieces stopped short is finished at the end', () => {
    const chunks = data(run('chat', [piece(0, 0, '', { id: 'call_1', name: 'f' }), piece(1, 0, '{"a":'), end(2, { finish_reason: 'tool_calls', tool_calls: calls })]).slice(0, -1));
    for (const c of chunks) expect(schemaErrors('CreateChatCompletionStreamResponse', c)).toEqual([]);
    expect(chunks.map((c) => c.choices[0].delta)).toEqual([
      { role: 'assistant', content: null, refusal: null, tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"a":' } }] },
      { tool_calls: [{ index: 0, function: { arguments: ' 1}' } }] }, // the rest of call 0
      { tool_calls: [{ index: 1, id: 'call_2', type: 'function', function: { name: 'g', arguments: '{}' } }] }, // call 1, never streamed: whole
      {},
    ]);
  });

  it('responses: the message done, then per call output_item.added (in progress, arguments ""), argument deltas, .done, output_item.done', () => {
    const events = run('responses', streamed, head(), 17_000);
    for (const e of events) expect(responseEventErrors(e)).toEqual([]);
    expect(types(events)).toEqual([
      'response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added', 'response.output_text.delta',
      'response.output_text.done', 'response.content_part.done', 'response.output_item.done',
      'response.output_item.added', 'response.function_call_arguments.delta', 'response.function_call_arguments.delta',
      'response.function_call_arguments.done', 'response.output_item.done',
      'response.output_item.added', 'response.function_call_arguments.delta', 'response.function_call_arguments.delta',
      'response.function_call_arguments.done', 'response.output_item.done',
      'response.completed',
    ]);
    const d = data(events);
    const base = id.replace(/^rr_/, '');
    expect(d[8]).toMatchObject({ output_index: 1, item: { id: `fc_${base}_0`, type: 'function_call', status: 'in_progress', call_id: 'call_1', name: 'f', arguments: '' } });
    expect(d.filter((e) => e.type === 'response.function_call_arguments.delta').map((e) => [e.output_index, e.item_id, e.delta]))
      .toEqual([[1, `fc_${base}_0`, '{"a":'], [1, `fc_${base}_0`, ' 1}'], [2, `fc_${base}_1`, '{'], [2, `fc_${base}_1`, '}']]);
    const completed = d.at(-1)!.response;
    expect(completed.output).toEqual(canonicalToResponse({ model: 'm', text: 'Let me look.', tool_calls: calls, finish_reason: 'tool_calls', usage }, { id, created: 17 }).output);
    // every item's done event is the item response.completed has
    expect(d.filter((e) => e.type === 'response.output_item.done').map((e) => e.item)).toEqual(completed.output);
    expect(d.map((e) => e.sequence_number)).toEqual(d.map((_e, i) => i));
  });

  it('messages: the text block stopped, then a tool_use block per call (input {}), input_json_delta pieces, content_block_stop', () => {
    const events = run('messages', streamed);
    for (const e of events) expect(anthropicStreamEventErrors(e)).toEqual([]);
    const d = data(events).filter((e) => e.type !== 'ping');
    expect(d.map((e) => [e.type, e.index, e.content_block?.type ?? e.delta?.type, e.content_block?.name ?? e.delta?.partial_json ?? e.delta?.text])).toEqual([
      ['message_start', undefined, undefined, undefined],
      ['content_block_start', 0, 'text', undefined], ['content_block_delta', 0, 'text_delta', 'Let me look.'], ['content_block_stop', 0, undefined, undefined],
      ['content_block_start', 1, 'tool_use', 'f'], ['content_block_delta', 1, 'input_json_delta', '{"a":'], ['content_block_delta', 1, 'input_json_delta', ' 1}'], ['content_block_stop', 1, undefined, undefined],
      ['content_block_start', 2, 'tool_use', 'g'], ['content_block_delta', 2, 'input_json_delta', '{'], ['content_block_delta', 2, 'input_json_delta', '}'], ['content_block_stop', 2, undefined, undefined],
      ['message_delta', undefined, undefined, undefined], ['message_stop', undefined, undefined, undefined],
    ]);
    expect(d[4].content_block).toEqual({ type: 'tool_use', id: 'call_1', name: 'f', input: {} });
    expect(d.at(-2)!.delta.stop_reason).toBe('tool_use');
  });

  it('responses and messages: a call whose pieces stopped short is finished before it is done', () => {
    const short = [piece(0, 0, '', { id: 'call_1', name: 'f' }), piece(1, 0, '{"a":'), end(2, { finish_reason: 'tool_calls', tool_calls: calls.slice(0, 1) })];
    const responses = data(run('responses', short, head(), 17_000)).filter((e) => e.type === 'response.function_call_arguments.delta');
    expect(responses.map((e) => e.delta)).toEqual(['{"a":', ' 1}']);
    const messages = data(run('messages', short)).filter((e) => e.type === 'content_block_delta');
    expect(messages.map((e) => e.delta.partial_json)).toEqual(['{"a":', ' 1}']);
  });

  it('a chunk kind an encoder does not know is skipped, the stream goes on', () => {
    const unknown = { type: 'later_kind', attempt: 2, seq: 1 } as unknown as Chunk;
    for (const api of ['chat', 'responses', 'messages'] as const) {
      expect(types(run(api, [delta(0, 'Hi'), unknown, end(2)]))).toEqual(types(run(api, [delta(0, 'Hi'), end(1)])));
    }
  });
});

describe('thinking streamed piece by piece (thinking chunks): as Anthropic streams it, ahead of the text', () => {
  const piece = (seq: number, index: number, o: Partial<Extract<Chunk, { type: 'thinking' }>>): Chunk => ({ type: 'thinking', attempt: 2, seq, index, ...o });
  const streamed = [
    piece(0, 0, { thinking: '' }), piece(1, 0, { thinking: 'Weather, ' }), piece(2, 0, { thinking: 'then.' }), piece(3, 0, { signature: 'sig-1' }),
    piece(4, 1, { redacted: 'opaque' }),
    delta(5, 'Sunny.'), end(6),
  ];
  /** [index, block or delta type, what it carries] of every block event. */
  const blocks = (events: SseEvent[]) =>
    data(events).filter((e) => e.type.startsWith('content_block')).map((e) => [e.type.replace('content_block_', ''), e.index, e.content_block?.type ?? e.delta?.type ?? '', e.delta?.thinking ?? e.delta?.signature ?? e.delta?.text ?? e.content_block?.data ?? '']);

  it('messages: a thinking block opened empty, its text in thinking_delta pieces, one signature_delta; a redacted_thinking block whole; then the text', () => {
    const events = run('messages', streamed);
    for (const e of events) expect(anthropicStreamEventErrors(e)).toEqual([]);
    expect(types(events).slice(0, 3)).toEqual(['message_start', 'content_block_start', 'ping']);
    expect(data(events)[1].content_block).toEqual({ type: 'thinking', thinking: '', signature: '' });
    expect(blocks(events)).toEqual([
      ['start', 0, 'thinking', ''], ['delta', 0, 'thinking_delta', 'Weather, '], ['delta', 0, 'thinking_delta', 'then.'], ['delta', 0, 'signature_delta', 'sig-1'], ['stop', 0, '', ''],
      ['start', 1, 'redacted_thinking', 'opaque'], ['stop', 1, '', ''],
      ['start', 2, 'text', ''], ['delta', 2, 'text_delta', 'Sunny.'], ['stop', 2, '', ''],
    ]);
    expect(types(events).filter((t) => t === 'ping')).toHaveLength(1);
  });

  it('messages: the events arrive with their chunks (the block opens at its first piece, before the signature exists)', () => {
    const sut = streamEncoder('messages', head());
    expect(types(sut.push(streamed[0]))).toEqual(['message_start', 'content_block_start', 'ping']);
    expect(data(sut.push(streamed[1]))).toEqual([{ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Weather, ' } }]);
  });

  it('messages: thinking, then calls, no text: the thinking block stopped before the tool_use block opens', () => {
    const calls = [{ id: 'call_1', name: 'f', arguments: '{}' }];
    const events = run('messages', [...streamed.slice(0, 4), { type: 'tool_call', attempt: 2, seq: 4, index: 0, id: 'call_1', name: 'f', arguments: '{}' }, end(5, { finish_reason: 'tool_calls', tool_calls: calls })]);
    for (const e of events) expect(anthropicStreamEventErrors(e)).toEqual([]);
    expect(blocks(events).filter(([kind]) => kind !== 'delta').map(([kind, index, type]) => [kind, index, type])).toEqual([
      ['start', 0, 'thinking'], ['stop', 0, ''], ['start', 1, 'tool_use'], ['stop', 1, ''],
    ]);
  });

  it('chat and Responses leave thinking out: the stream is the one without it', () => {
    for (const api of ['chat', 'responses'] as const) {
      expect(run(api, streamed)).toEqual(run(api, [delta(5, 'Sunny.'), end(6)]));
    }
  });
});

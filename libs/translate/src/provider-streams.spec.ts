import { chatStreamReader, messagesStreamReader, responsesStreamReader, type StreamReader, type StreamStep } from './provider-streams.js';

/** Feeds `[event, data]` pairs; returns every step. */
const feed = (r: StreamReader, events: [string | undefined, unknown][]): StreamStep[] =>
  events.map(([event, data]) => r.read(event, typeof data === 'string' ? data : JSON.stringify(data)));
/** Anthropic's first event of a stream, as the tests' upstream sends it. */
const messageStart: [string, unknown] = ['message_start', { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-up', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 7, output_tokens: 1 } } }];
const texts = (steps: StreamStep[]) => steps.flatMap((s) => (s.type === 'delta' ? [s.text] : []));

describe('chat stream', () => {
  const chunk = (delta: object, finish_reason: string | null = null, extra: object = {}) =>
    ({ id: 'c1', object: 'chat.completion.chunk', model: 'gpt-up', choices: [{ index: 0, delta, finish_reason }], usage: null, ...extra });

  it('reads deltas, the finish reason, the usage-only chunk and [DONE]', () => {
    const r = chatStreamReader();
    const steps = feed(r, [
      [undefined, chunk({ role: 'assistant', content: '' })],
      [undefined, chunk({ content: 'Hel' })],
      [undefined, chunk({ content: 'lo' })],
      [undefined, chunk({}, 'length')],
      [undefined, { id: 'c1', object: 'chat.completion.chunk', model: 'gpt-up', choices: [], usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 } }],
      [undefined, '[DONE]'],
    ]);
    expect(texts(steps)).toEqual(['Hel', 'lo']);
    expect(steps.at(-1)).toEqual({ type: 'done' });
    expect(r.result()).toEqual({ model: 'gpt-up', text: 'Hello', finish_reason: 'length', usage: { input_tokens: 9, output_tokens: 2 } });
  });

  it('reads an error object in the stream as an error', () => {
    expect(feed(chatStreamReader(), [[undefined, { error: { message: 'server had an error', type: 'server_error' } }]])).toEqual([{ type: 'error', message: 'server had an error' }]);
  });

  it('throws on data that is not JSON', () => {
    expect(() => chatStreamReader().read(undefined, '{not json')).toThrow();
  });
});

describe('responses stream', () => {
  const response = { id: 'resp_1', object: 'response', model: 'gpt-up', status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' },
    output: [{ type: 'message', id: 'm1', role: 'assistant', status: 'incomplete', content: [{ type: 'output_text', text: 'Hi there', annotations: [] }] }],
    usage: { input_tokens: 4, output_tokens: 2 } };

  it('reads text deltas and the final response of response.incomplete', () => {
    const r = responsesStreamReader();
    const steps = feed(r, [
      ['response.created', { type: 'response.created', response: { ...response, status: 'in_progress', output: [] } }],
      ['response.output_text.delta', { type: 'response.output_text.delta', delta: 'Hi ' }],
      ['response.output_text.delta', { type: 'response.output_text.delta', delta: 'there' }],
      ['response.output_text.done', { type: 'response.output_text.done', text: 'Hi there' }],
      ['response.incomplete', { type: 'response.incomplete', response }],
    ]);
    expect(texts(steps)).toEqual(['Hi ', 'there']);
    expect(steps.at(-1)).toEqual({ type: 'done' });
    expect(r.result()).toEqual({ model: 'gpt-up', text: 'Hi there', finish_reason: 'length', usage: { input_tokens: 4, output_tokens: 2 } });
  });

  it('uses the type in the data when the event has no name', () => {
    expect(feed(responsesStreamReader(), [[undefined, { type: 'response.output_text.delta', delta: 'x' }]])).toEqual([{ type: 'delta', text: 'x' }]);
  });

  it.each([
    ['error', { type: 'error', code: 'server_error', message: 'boom', param: null }, 'boom'],
    ['response.failed', { type: 'response.failed', response: { ...response, status: 'failed', error: { code: 'server_error', message: 'model failed' } } }, 'model failed'],
    ['response.failed', { type: 'response.failed', response: { status: 'failed', error: null } }, 'The provider reported the response as failed.'],
  ])('%s is an error', (event, data, message) => {
    expect(feed(responsesStreamReader(), [[event, data]])).toEqual([{ type: 'error', message }]);
  });
});

describe('messages stream', () => {
  const start = { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-up', content: [], stop_reason: null, stop_sequence: null,
    usage: { input_tokens: 10, cache_read_input_tokens: 5, cache_creation_input_tokens: 0, output_tokens: 1 } } };

  it('reads text deltas (thinking as its own pieces: see below), skips ping, merges the usage of message_delta', () => {
    const r = messagesStreamReader();
    const steps = feed(r, [
      ['message_start', start],
      ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'hmm' } }],
      ['ping', { type: 'ping' }],
      ['content_block_start', { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Bye ' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'now' } }],
      ['content_block_stop', { type: 'content_block_stop', index: 1 }],
      ['message_delta', { type: 'message_delta', delta: { stop_reason: 'stop_sequence', stop_sequence: 'END' }, usage: { input_tokens: null, output_tokens: 7 } }],
      ['message_stop', { type: 'message_stop' }],
    ]);
    expect(texts(steps).filter((t) => t !== '')).toEqual(['Bye ', 'now']);
    expect(steps.at(-1)).toEqual({ type: 'done' });
    expect(r.result()).toEqual({
      model: 'claude-up', text: 'Bye now', thinking: [{ type: 'thinking', thinking: 'hmm', signature: '' }], finish_reason: 'stop', stop_sequence: 'END', usage: { input_tokens: 15, output_tokens: 7 },
    });
  });

  it('reads the error event', () => {
    expect(feed(messagesStreamReader(), [['message_start', start], ['error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }]]).at(-1))
      .toEqual({ type: 'error', message: 'Overloaded' });
  });

  it('refuses a message_delta before message_start', () => {
    expect(() => messagesStreamReader().read('message_delta', JSON.stringify({ type: 'message_delta', delta: {}, usage: { output_tokens: 1 } }))).toThrow();
  });
});

describe('tool calls streamed by the provider: each piece as it comes, the result with the calls whole', () => {
  const calls = (steps: StreamStep[]) => steps.flatMap((s) => (s.type === 'delta' ? (s.tool_calls ?? []) : []));

  it('chat: delta.tool_calls fragments (id and name in the first of an index, then argument pieces)', () => {
    const chunk = (delta: object, finish_reason: string | null = null) => ({ id: 'c1', object: 'chat.completion.chunk', model: 'gpt-up', choices: [{ index: 0, delta, finish_reason }], usage: null });
    const r = chatStreamReader();
    const steps = feed(r, [
      [undefined, chunk({ role: 'assistant', content: null })],
      [undefined, chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'lookup', arguments: '' } }] })],
      [undefined, chunk({ tool_calls: [{ index: 0, function: { arguments: '{"q":' } }] })],
      [undefined, chunk({ tool_calls: [{ index: 0, function: { arguments: '"x"}' } }] })],
      [undefined, chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'other', arguments: '{}' } }] })],
      [undefined, chunk({}, 'tool_calls')],
      [undefined, { id: 'c1', object: 'chat.completion.chunk', model: 'gpt-up', choices: [], usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 } }],
      [undefined, '[DONE]'],
    ]);
    expect(texts(steps).filter((t) => t !== '')).toEqual([]);
    expect(calls(steps)).toEqual([
      { index: 0, id: 'call_a', name: 'lookup', arguments_delta: '' },
      { index: 0, arguments_delta: '{"q":' },
      { index: 0, arguments_delta: '"x"}' },
      { index: 1, id: 'call_b', name: 'other', arguments_delta: '{}' },
    ]);
    expect(r.result()).toEqual({
      model: 'gpt-up', text: '', finish_reason: 'tool_calls', usage: { input_tokens: 9, output_tokens: 2 },
      tool_calls: [{ id: 'call_a', name: 'lookup', arguments: '{"q":"x"}' }, { id: 'call_b', name: 'other', arguments: '{}' }],
    });
  });

  it('responses: output_item.added (a function_call: call_id, name), function_call_arguments.delta by output_index', () => {
    const call = { type: 'function_call', id: 'fc_1', call_id: 'call_a', name: 'lookup', arguments: '{"q":"x"}', status: 'completed' };
    const response = { id: 'resp_1', object: 'response', model: 'gpt-up', status: 'completed', incomplete_details: null, output: [call], usage: { input_tokens: 4, output_tokens: 2 } };
    const r = responsesStreamReader();
    const steps = feed(r, [
      ['response.created', { type: 'response.created', response: { ...response, status: 'in_progress', output: [] } }],
      ['response.output_item.added', { type: 'response.output_item.added', output_index: 0, item: { ...call, status: 'in_progress', arguments: '' } }],
      ['response.function_call_arguments.delta', { type: 'response.function_call_arguments.delta', item_id: 'fc_1', output_index: 0, delta: '{"q":' }],
      ['response.function_call_arguments.delta', { type: 'response.function_call_arguments.delta', item_id: 'fc_1', output_index: 0, delta: '"x"}' }],
      ['response.function_call_arguments.done', { type: 'response.function_call_arguments.done', item_id: 'fc_1', output_index: 0, arguments: '{"q":"x"}' }],
      ['response.output_item.done', { type: 'response.output_item.done', output_index: 0, item: call }],
      ['response.completed', { type: 'response.completed', response }],
    ]);
    expect(calls(steps)).toEqual([{ index: 0, id: 'call_a', name: 'lookup', arguments_delta: '' }, { index: 0, arguments_delta: '{"q":' }, { index: 0, arguments_delta: '"x"}' }]);
    expect(r.result()).toMatchObject({ finish_reason: 'tool_calls', tool_calls: [{ id: 'call_a', name: 'lookup', arguments: '{"q":"x"}' }] });
  });

  it('messages: content_block_start tool_use (id, name), input_json_delta pieces; the arguments as the model wrote them', () => {
    const r = messagesStreamReader();
    const steps = feed(r, [
      messageStart,
      ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Looking.' } }],
      ['content_block_stop', { type: 'content_block_stop', index: 0 }],
      ['content_block_start', { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: {} } }],
      ['content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"q": ' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '"x"}' } }],
      ['content_block_stop', { type: 'content_block_stop', index: 1 }],
      ['content_block_start', { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_2', name: 'noargs', input: {} } }],
      ['content_block_stop', { type: 'content_block_stop', index: 2 }],
      ['message_delta', { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 12 } }],
      ['message_stop', { type: 'message_stop' }],
    ]);
    expect(texts(steps).filter((t) => t !== '')).toEqual(['Looking.']);
    expect(calls(steps)).toEqual([
      { index: 0, id: 'toolu_1', name: 'lookup', arguments_delta: '' }, { index: 0, arguments_delta: '{"q": ' }, { index: 0, arguments_delta: '"x"}' },
      { index: 1, id: 'toolu_2', name: 'noargs', arguments_delta: '' },
    ]);
    expect(r.result()).toEqual({
      model: 'claude-up', text: 'Looking.', finish_reason: 'tool_calls', usage: { input_tokens: 7, output_tokens: 12 },
      tool_calls: [{ id: 'toolu_1', name: 'lookup', arguments: '{"q": "x"}' }, { id: 'toolu_2', name: 'noargs', arguments: '{}' }],
    });
  });
});

describe('extended thinking streamed by an Anthropic provider: each piece as it comes, the result with the blocks whole', () => {
  const thoughts = (steps: StreamStep[]) => steps.flatMap((s) => (s.type === 'delta' ? (s.thinking ?? []) : []));

  it('thinking (content_block_start, thinking_delta pieces, signature_delta), redacted_thinking whole in its start, then text and a call', () => {
    const r = messagesStreamReader();
    const steps = feed(r, [
      messageStart,
      ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } }],
      ['ping', { type: 'ping' }],
      ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Let me ' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'think.' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'EqQBsig' } }],
      ['content_block_stop', { type: 'content_block_stop', index: 0 }],
      ['content_block_start', { type: 'content_block_start', index: 1, content_block: { type: 'redacted_thinking', data: 'opaque' } }],
      ['content_block_stop', { type: 'content_block_stop', index: 1 }],
      ['content_block_start', { type: 'content_block_start', index: 2, content_block: { type: 'text', text: '' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 2, delta: { type: 'text_delta', text: 'Done.' } }],
      ['content_block_stop', { type: 'content_block_stop', index: 2 }],
      ['content_block_start', { type: 'content_block_start', index: 3, content_block: { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: {} } }],
      ['content_block_delta', { type: 'content_block_delta', index: 3, delta: { type: 'input_json_delta', partial_json: '{}' } }],
      ['content_block_stop', { type: 'content_block_stop', index: 3 }],
      ['message_delta', { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 30 } }],
      ['message_stop', { type: 'message_stop' }],
    ]);
    expect(thoughts(steps)).toEqual([
      { index: 0, thinking: '' }, { index: 0, thinking: 'Let me ' }, { index: 0, thinking: 'think.' }, { index: 0, signature: 'EqQBsig' },
      { index: 1, redacted: 'opaque' },
    ]);
    expect(texts(steps).filter((t) => t !== '')).toEqual(['Done.']);
    expect(r.result()).toEqual({
      model: 'claude-up', text: 'Done.', finish_reason: 'tool_calls', usage: { input_tokens: 7, output_tokens: 30 },
      thinking: [{ type: 'thinking', thinking: 'Let me think.', signature: 'EqQBsig' }, { type: 'redacted_thinking', data: 'opaque' }],
      tool_calls: [{ id: 'toolu_1', name: 'lookup', arguments: '{}' }],
    });
  });

  it('a stream without thinking has no thinking pieces and no thinking in its result', () => {
    const r = messagesStreamReader();
    const steps = feed(r, [
      messageStart,
      ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } }],
      ['message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 2 } }],
      ['message_stop', { type: 'message_stop' }],
    ]);
    expect(thoughts(steps)).toEqual([]);
    expect(r.result()).not.toHaveProperty('thinking');
  });
});

import type { CanonicalRequest, CanonicalResult, ToolChoice } from '@reqrun/contracts';
import {
  anthropicMessageToCanonical, canonicalToAnthropicMessage, canonicalToMessages, messagesToCanonical, type AnthropicMessage, type AnthropicRequest,
  type AnthropicToolChoice,
} from './messages.translate.js';

const asBody = (r: AnthropicRequest) => r as unknown as Record<string, unknown>;
const input_schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
const call = { id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Paris"}' };
const usage = { input_tokens: 3, output_tokens: 4 };

/** A whole loop in Messages' words: the call, then its result and a question in the same user turn. */
const loop: AnthropicRequest = {
  model: 'c', max_tokens: 100,
  tools: [{ name: 'get_weather', description: 'Weather by city', input_schema }],
  tool_choice: { type: 'tool', name: 'get_weather', disable_parallel_tool_use: true },
  messages: [
    { role: 'user', content: 'weather?' },
    { role: 'assistant', content: [{ type: 'text', text: 'Let me look.' }, { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' }, { type: 'text', text: 'and tomorrow?' }] },
  ],
};
/** The same loop, canonical. */
const canonicalLoop: CanonicalRequest = {
  model: 'c', max_tokens: 100,
  tools: [{ name: 'get_weather', description: 'Weather by city', parameters: input_schema }],
  tool_choice: { name: 'get_weather' },
  parallel_tool_calls: false,
  messages: [
    { role: 'user', content: 'weather?' },
    { role: 'assistant', content: 'Let me look.', tool_calls: [call] },
    { role: 'tool', content: 'sunny', tool_call_id: 'toolu_1' },
    { role: 'user', content: 'and tomorrow?' },
  ],
};

describe('messages tool calls: request, Messages -> canonical', () => {
  it('a loop: tools, tool_choice, tool_use blocks as tool_calls, tool_result blocks as tool turns ahead of the text', () => {
    expect(messagesToCanonical(asBody(loop))).toEqual(canonicalLoop);
  });

  it('a user turn of tool results only is tool turns only; result content as text blocks is read as text; is_error is kept', () => {
    const c = messagesToCanonical({
      model: 'c', max_tokens: 5,
      messages: [{
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'a', content: [{ type: 'text', text: 'one ' }, { type: 'text', text: 'two' }] },
          { type: 'tool_result', tool_use_id: 'b', content: 'failed', is_error: true },
          { type: 'tool_result', tool_use_id: 'c' },
        ],
      }],
    });
    expect(c.messages).toEqual([
      { role: 'tool', content: 'one two', tool_call_id: 'a' },
      { role: 'tool', content: 'failed', tool_call_id: 'b', is_error: true },
      { role: 'tool', content: '', tool_call_id: 'c' },
    ]);
  });

  it('an assistant turn of tool_use blocks only has empty content', () => {
    const c = messagesToCanonical({ model: 'c', max_tokens: 5, messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 'x', name: 'f', input: {} }] }] });
    expect(c.messages).toEqual([{ role: 'assistant', content: '', tool_calls: [{ id: 'x', name: 'f', arguments: '{}' }] }]);
  });

  it.each([
    [{ type: 'auto' }, 'auto', undefined],
    [{ type: 'any' }, 'required', undefined],
    [{ type: 'none' }, 'none', undefined],
    [{ type: 'tool', name: 'f' }, { name: 'f' }, undefined],
    [{ type: 'auto', disable_parallel_tool_use: true }, 'auto', false],
    [{ type: 'any', disable_parallel_tool_use: false }, 'required', undefined],
  ] as [AnthropicToolChoice, ToolChoice, boolean | undefined][])('tool_choice %j -> %j, parallel_tool_calls %s', (choice, want, parallel) => {
    const c = messagesToCanonical({ model: 'c', max_tokens: 5, messages: [{ role: 'user', content: 'q' }], tools: [{ name: 'f', input_schema: { type: 'object' } }], tool_choice: choice });
    expect(c.tool_choice).toEqual(want);
    expect(c.parallel_tool_calls).toBe(parallel);
  });
});

describe('messages tool calls: request, canonical -> Messages', () => {
  it('the loop goes back as it came', () => {
    expect(canonicalToMessages(canonicalLoop)).toEqual(loop);
  });

  it('consecutive tool turns make one user turn of tool_result blocks; a user turn right after them joins it as a text block', () => {
    const sut = canonicalToMessages({
      model: 'c',
      messages: [
        { role: 'user', content: 'q' },
        { role: 'assistant', content: '', tool_calls: [{ id: 'a', name: 'f', arguments: '{}' }, { id: 'b', name: 'g', arguments: '{"n":1}' }] },
        { role: 'tool', content: 'ra', tool_call_id: 'a' },
        { role: 'tool', content: 'rb', tool_call_id: 'b' },
        { role: 'user', content: 'thanks' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: 'more' },
      ],
    });
    expect(sut.messages).toEqual([
      { role: 'user', content: 'q' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'a', name: 'f', input: {} }, { type: 'tool_use', id: 'b', name: 'g', input: { n: 1 } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'a', content: 'ra' }, { type: 'tool_result', tool_use_id: 'b', content: 'rb' }, { type: 'text', text: 'thanks' }] },
      { role: 'assistant', content: 'ok' },
      { role: 'user', content: 'more' },
    ]);
  });

  it('tool results last stay a user turn of their own; an empty user turn after them adds no empty text block', () => {
    const base: CanonicalRequest['messages'] = [{ role: 'assistant', content: '', tool_calls: [{ id: 'a', name: 'f', arguments: '{}' }] }, { role: 'tool', content: 'r', tool_call_id: 'a' }];
    const results = { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'a', content: 'r' }] };
    expect(canonicalToMessages({ model: 'c', messages: base }).messages.at(-1)).toEqual(results);
    expect(canonicalToMessages({ model: 'c', messages: [...base, { role: 'user', content: '' }] }).messages.at(-1)).toEqual(results);
  });

  it('a tool without parameters gets an empty object schema; strict is not sent', () => {
    expect(canonicalToMessages({ model: 'c', messages: [{ role: 'user', content: 'q' }], tools: [{ name: 'f' }, { name: 'g', parameters: input_schema, strict: true }] }).tools).toEqual([
      { name: 'f', input_schema: { type: 'object' } },
      { name: 'g', input_schema },
    ]);
  });

  it.each([
    ['auto', undefined, { type: 'auto' }],
    ['required', undefined, { type: 'any' }],
    [{ name: 'f' }, undefined, { type: 'tool', name: 'f' }],
    ['none', undefined, { type: 'none' }],
    ['required', false, { type: 'any', disable_parallel_tool_use: true }],
    [{ name: 'f' }, false, { type: 'tool', name: 'f', disable_parallel_tool_use: true }],
    ['none', false, { type: 'none' }],
    [undefined, false, { type: 'auto', disable_parallel_tool_use: true }],
    [undefined, true, undefined],
    ['auto', true, { type: 'auto' }],
  ] as [ToolChoice | undefined, boolean | undefined, AnthropicToolChoice | undefined][])('tool_choice %j with parallel_tool_calls %s -> %j', (choice, parallel, want) => {
    const req: CanonicalRequest = {
      model: 'c', messages: [{ role: 'user', content: 'q' }], tools: [{ name: 'f' }],
      ...(choice !== undefined ? { tool_choice: choice } : {}), ...(parallel !== undefined ? { parallel_tool_calls: parallel } : {}),
    };
    expect(canonicalToMessages(req).tool_choice).toEqual(want);
  });

  it('sends no tool_choice without tools', () => {
    expect(canonicalToMessages({ model: 'c', messages: [{ role: 'user', content: 'q' }], tool_choice: 'required', parallel_tool_calls: false })).not.toHaveProperty('tool_choice');
  });

  it.each(['{"city":', '', '[1]', '"text"', 'null'])('refuses a call whose arguments %j are not a JSON object, with a 400 naming messages', (args) => {
    const req: CanonicalRequest = { model: 'c', messages: [{ role: 'assistant', content: '', tool_calls: [{ id: 'call_9', name: 'f', arguments: args }] }] };
    expect(() => canonicalToMessages(req)).toThrow(expect.objectContaining({ status: 400, param: 'messages', message: expect.stringMatching(/tool call 'call_9' are not a JSON object/) }));
  });
});

describe('messages tool calls: results', () => {
  const answer = (content: AnthropicMessage['content']): AnthropicMessage => ({
    id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-x', content, stop_reason: 'tool_use', stop_sequence: null, usage,
  });

  it("a provider's tool_use blocks are the result's tool_calls, its text the text", () => {
    const sut = anthropicMessageToCanonical(answer([
      { type: 'text', text: 'Checking.' },
      { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
      { type: 'tool_use', id: 'toolu_2', name: 'get_time', input: {} },
    ]));
    expect(sut).toEqual({
      model: 'claude-x', text: 'Checking.', finish_reason: 'tool_calls', usage,
      tool_calls: [call, { id: 'toolu_2', name: 'get_time', arguments: '{}' }],
    });
  });

  it('a result with tool calls is a message with a text block (when there is text), then tool_use blocks, and stop_reason tool_use', () => {
    const r: CanonicalResult = { model: 'c', text: 'Checking.', tool_calls: [call], finish_reason: 'tool_calls', usage };
    const message = canonicalToAnthropicMessage(r, { id: 'rr_x', created: 1 });
    expect(message).toMatchObject({
      stop_reason: 'tool_use', stop_sequence: null,
      content: [{ type: 'text', text: 'Checking.' }, { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }],
    });
    expect(anthropicMessageToCanonical(message)).toEqual(r);
  });

  it('calls only: no text block; arguments that are not a JSON object are shown as {}', () => {
    const r: CanonicalResult = { model: 'c', text: '', tool_calls: [{ id: 'a', name: 'f', arguments: '{"cut' }, { id: 'b', name: 'g', arguments: '[1]' }], finish_reason: 'tool_calls', usage };
    expect(canonicalToAnthropicMessage(r, { id: 'rr_x', created: 1 }).content).toEqual([
      { type: 'tool_use', id: 'a', name: 'f', input: {} },
      { type: 'tool_use', id: 'b', name: 'g', input: {} },
    ]);
  });
});

import type { CanonicalRequest } from '@reqrun/contracts';
import { canonicalToChat, canonicalToChatCompletion, chatCompletionToCanonical, chatToCanonical } from './chat.translate.js';
import { mockAnswer } from './mock-answer.js';

const parameters = { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer', minimum: 1 } }, required: ['city'] };
const tools = [{ type: 'function', function: { name: 'get_weather', description: 'Weather by city', parameters, strict: true } }];
const call = { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } };
const loop = {
  model: 'm', tools, tool_choice: { type: 'function', function: { name: 'get_weather' } }, parallel_tool_calls: false,
  messages: [{ role: 'user', content: 'weather?' }, { role: 'assistant', content: null, tool_calls: [call] }, { role: 'tool', tool_call_id: 'call_1', content: 'sunny' }],
};

describe('chat tool calls', () => {
  it('a tool loop: chat -> canonical -> chat is the same request', () => {
    const c = chatToCanonical(loop);
    expect(c).toEqual({
      model: 'm',
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: '', tool_calls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }] },
        { role: 'tool', content: 'sunny', tool_call_id: 'call_1' },
      ],
      tools: [{ name: 'get_weather', description: 'Weather by city', parameters, strict: true }],
      tool_choice: { name: 'get_weather' },
      parallel_tool_calls: false,
    });
    expect(canonicalToChat(c)).toEqual(loop);
  });

  it('tool_choice words pass as they are', () => {
    expect(canonicalToChat(chatToCanonical({ model: 'm', messages: [{ role: 'user', content: 'q' }], tools, tool_choice: 'none' })).tool_choice).toBe('none');
  });

  it("a provider's tool calls come back in the completion, content null", () => {
    const r = chatCompletionToCanonical({
      id: 'x', object: 'chat.completion', created: 1, model: 'up',
      choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [call as never] }, finish_reason: 'tool_calls' }],
      usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
    });
    expect(r).toMatchObject({ text: '', finish_reason: 'tool_calls', tool_calls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }] });
    const back = canonicalToChatCompletion(r, { id: 'rr_x', created: 1 });
    expect(back.choices[0]).toEqual({ index: 0, message: { role: 'assistant', content: null, refusal: null, tool_calls: [call] }, logprobs: null, finish_reason: 'tool_calls' });
  });
});

describe('the mock and tools', () => {
  const req = (over: Partial<CanonicalRequest>): CanonicalRequest => ({ model: 'm', messages: [{ role: 'user', content: 'Paris?' }], tools: [{ name: 'get_weather', parameters }, { name: 'other' }], ...over });

  it('calls the first tool after a user turn, with arguments that fit its parameters', () => {
    expect(mockAnswer(req({}))).toMatchObject({ text: '', finish_reason: 'tool_calls', tool_calls: [{ id: 'call_mock1', name: 'get_weather', arguments: '{"city":"Mock reply to: Paris?","days":1}' }] });
  });

  it('calls the tool tool_choice names; none of them with none', () => {
    expect(mockAnswer(req({ tool_choice: { name: 'other' } })).tool_calls).toEqual([{ id: 'call_mock1', name: 'other', arguments: '{}' }]);
    expect(mockAnswer(req({ tool_choice: 'none' }))).toMatchObject({ text: 'Mock reply to: Paris?', finish_reason: 'stop' });
  });

  it("answers a tool's result with text", () => {
    const r = mockAnswer(req({ messages: [{ role: 'user', content: 'Paris?' }, { role: 'assistant', content: '', tool_calls: [{ id: 'c', name: 'get_weather', arguments: '{}' }] }, { role: 'tool', content: 'sunny', tool_call_id: 'c' }] }));
    expect(r).toMatchObject({ text: 'Mock reply to: sunny', finish_reason: 'stop' });
    expect(r.tool_calls).toBeUndefined();
  });
});

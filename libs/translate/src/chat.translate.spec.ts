import type { CanonicalRequest, CanonicalResult } from '@reqrun/contracts';
import { canonicalToChat, canonicalToChatCompletion, chatCompletionToCanonical, chatToCanonical } from './chat.translate.js';
import { mockAnswer } from './mock-answer.js';

describe('chat translation', () => {
  it.each([
    [
      'plain strings and sampling fields',
      { model: 'm', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }], max_tokens: 5, temperature: 0.2, stop: 'x' },
      { model: 'm', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }], max_tokens: 5, temperature: 0.2, stop: ['x'] },
    ],
    [
      'content parts, developer role, max_completion_tokens wins',
      { model: 'm', messages: [{ role: 'developer', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }], max_tokens: 9, max_completion_tokens: 3, metadata: { k: 'v' } },
      { model: 'm', messages: [{ role: 'system', content: 'ab' }], max_tokens: 3, metadata: { k: 'v' } },
    ],
  ])('%s', (_n, body, want) => {
    expect(chatToCanonical(body)).toEqual(want);
  });

  it('renders a chat.completion with OpenAI usage names', () => {
    const sut = canonicalToChatCompletion(
      { model: 'm', text: 'hello', finish_reason: 'stop', usage: { input_tokens: 3, output_tokens: 2 } },
      { id: 'rr_x', created: 17 },
    );
    expect(sut).toMatchObject({
      id: 'rr_x', object: 'chat.completion', created: 17, model: 'm',
      choices: [{ index: 0, message: { role: 'assistant', content: 'hello' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
    });
  });
});

describe('chat round trips', () => {
  const requests: [string, CanonicalRequest][] = [
    ['a plain turn', { model: 'm', messages: [{ role: 'user', content: 'hi' }] }],
    ['every field', {
      model: 'm', messages: [{ role: 'system', content: 's' }, { role: 'user', content: 'q', name: 'ann' }, { role: 'assistant', content: 'a' }, { role: 'user', content: 'q2' }],
      max_tokens: 7, temperature: 1.5, top_p: 0.9, stop: ['x', 'y'], metadata: { k: 'v' },
    }],
  ];
  it.each(requests)('request: canonical -> chat -> canonical keeps %s', (_n, req) => {
    expect(chatToCanonical(canonicalToChat(req) as unknown as Record<string, unknown>)).toEqual(req);
  });

  it('request: a top-level system prompt becomes the first system message, the cap max_completion_tokens', () => {
    expect(canonicalToChat({ model: 'm', system: 'be brief', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 })).toEqual({
      model: 'm', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }], max_completion_tokens: 3,
    });
  });

  const results: [string, CanonicalResult][] = [
    ['a finished answer', { model: 'm', text: 'hello', finish_reason: 'stop', usage: { input_tokens: 3, output_tokens: 2 } }],
    ['a cut answer', { model: 'm', text: 'hel', finish_reason: 'length', usage: { input_tokens: 3, output_tokens: 1 } }],
    ['a filtered answer', { model: 'm', text: '', finish_reason: 'content_filter', usage: { input_tokens: 3, output_tokens: 0 } }],
    ['a tool call', { model: 'm', text: '', finish_reason: 'tool_calls', usage: { input_tokens: 3, output_tokens: 9 } }],
  ];
  it.each(results)('result: canonical -> chat.completion -> canonical keeps %s', (_n, r) => {
    expect(chatCompletionToCanonical(canonicalToChatCompletion(r, { id: 'rr_x', created: 1 }))).toEqual(r);
  });

  it('result: reads a provider completion with null content and the legacy function_call finish', () => {
    const sut = chatCompletionToCanonical({
      id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'gpt-x',
      choices: [{ index: 0, message: { role: 'assistant', content: null }, finish_reason: 'function_call' }],
      usage: { prompt_tokens: 10, completion_tokens: 4, total_tokens: 14 },
    });
    expect(sut).toEqual({ model: 'gpt-x', text: '', finish_reason: 'tool_calls', usage: { input_tokens: 10, output_tokens: 4 } });
  });
});

describe('mockAnswer', () => {
  it('echoes the last user message, deterministically', () => {
    const req = { model: 'mock-1', messages: [{ role: 'user' as const, content: 'one' }, { role: 'assistant' as const, content: 'x' }, { role: 'user' as const, content: 'two' }] };
    expect(mockAnswer(req)).toEqual(mockAnswer(req));
    expect(mockAnswer(req)).toMatchObject({ text: 'Mock reply to: two', finish_reason: 'stop', model: 'mock-1' });
  });
  it('stops at max_tokens with finish_reason length', () => {
    const sut = mockAnswer({ model: 'm', messages: [{ role: 'user', content: 'a long question indeed' }], max_tokens: 2 });
    expect(sut).toMatchObject({ text: 'Mock rep', finish_reason: 'length', usage: { output_tokens: 2 } });
  });
  it('ends at the earliest stop sequence it contains and says which one', () => {
    const sut = mockAnswer({ model: 'm', messages: [{ role: 'user', content: 'abc' }], stop: ['zzz', 'abc', 'reply'] });
    expect(sut).toMatchObject({ text: 'Mock ', finish_reason: 'stop', stop_sequence: 'reply' });
  });
  it('counts the system prompt as input', () => {
    const without = mockAnswer({ model: 'm', messages: [{ role: 'user', content: 'q' }] });
    const withSystem = mockAnswer({ model: 'm', system: 'x'.repeat(40), messages: [{ role: 'user', content: 'q' }] });
    expect(withSystem.usage.input_tokens).toBeGreaterThan(without.usage.input_tokens);
  });
});

import { canonicalToChatCompletion, chatToCanonical } from './chat.translate.js';
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
});

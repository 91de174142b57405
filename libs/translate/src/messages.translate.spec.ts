import type { CanonicalRequest, CanonicalResult } from '@reqrun/contracts';
import {
  anthropicMessageToCanonical, canonicalToAnthropicMessage, canonicalToMessages, messagesToCanonical, type AnthropicMessage, type AnthropicRequest,
} from './messages.translate.js';

const asBody = (r: AnthropicRequest) => r as unknown as Record<string, unknown>;

describe('messages translation', () => {
  it.each([
    [
      'system as text blocks, content blocks, stop sequences and metadata',
      {
        model: 'claude', max_tokens: 50, system: [{ type: 'text', text: 'be ' }, { type: 'text', text: 'brief' }],
        messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }, { role: 'assistant', content: 'yo' }, { role: 'user', content: 'again' }],
        stop_sequences: ['END'], temperature: 0.3, top_p: 0.8, metadata: { user_id: 'u1' }, top_k: 5,
      },
      {
        model: 'claude', system: 'be brief', messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'yo' }, { role: 'user', content: 'again' }],
        max_tokens: 50, stop: ['END'], temperature: 0.3, top_p: 0.8, metadata: { user_id: 'u1' }, anthropic: { top_k: 5 },
      },
    ],
    ['no system, an empty stop list', { model: 'c', max_tokens: 1, messages: [{ role: 'user', content: 'q' }], stop_sequences: [] }, { model: 'c', max_tokens: 1, messages: [{ role: 'user', content: 'q' }] }],
  ])('reads a request: %s', (_n, body, want) => {
    expect(messagesToCanonical(body)).toEqual(want);
  });

  const bodies: [string, AnthropicRequest][] = [
    ['a plain turn', { model: 'c', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }],
    ['every field', {
      model: 'c', max_tokens: 10, system: 'sys', messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }, { role: 'system', content: 'now formal' }, { role: 'user', content: 'c' }],
      stop_sequences: ['X', 'Y'], temperature: 1, top_p: 0.5, metadata: { user_id: 'u' },
    }],
  ];
  it.each(bodies)('request: messages -> canonical -> messages keeps %s', (_n, body) => {
    expect(canonicalToMessages(messagesToCanonical(asBody(body)))).toEqual(body);
  });

  const requests: [string, CanonicalRequest][] = [
    ['a plain turn', { model: 'c', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 }],
    ['system, stop and sampling', { model: 'c', system: 's', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5, stop: ['a'], temperature: 0.5, top_p: 0.1, metadata: { user_id: 'u' } }],
  ];
  it.each(requests)('request: canonical -> messages -> canonical keeps %s', (_n, req) => {
    expect(messagesToCanonical(asBody(canonicalToMessages(req)))).toEqual(req);
  });

  it('request: folds leading system messages into system, defaults max_tokens, caps temperature, keeps only user_id', () => {
    const sut = canonicalToMessages(
      { model: 'c', system: 'top', messages: [{ role: 'system', content: 'one' }, { role: 'user', content: 'hi' }], temperature: 1.7, metadata: { user_id: 'u', mock_fail: 'x' } },
      { default_max_tokens: 99 },
    );
    expect(sut).toEqual({ model: 'c', max_tokens: 99, system: 'top\n\none', messages: [{ role: 'user', content: 'hi' }], temperature: 1, metadata: { user_id: 'u' } });
  });

  const results: [string, CanonicalResult, Partial<AnthropicMessage>][] = [
    ['end_turn', { model: 'c', text: 'hello', finish_reason: 'stop', usage: { input_tokens: 3, output_tokens: 2 } }, { stop_reason: 'end_turn', stop_sequence: null }],
    ['stop_sequence', { model: 'c', text: 'hel', finish_reason: 'stop', stop_sequence: 'lo', usage: { input_tokens: 3, output_tokens: 1 } }, { stop_reason: 'stop_sequence', stop_sequence: 'lo' }],
    ['max_tokens', { model: 'c', text: 'he', finish_reason: 'length', usage: { input_tokens: 3, output_tokens: 1 } }, { stop_reason: 'max_tokens' }],
    ['tool_use', { model: 'c', text: '', finish_reason: 'tool_calls', usage: { input_tokens: 3, output_tokens: 4 } }, { stop_reason: 'tool_use', content: [] }],
    ['refusal', { model: 'c', text: 'no', finish_reason: 'content_filter', usage: { input_tokens: 3, output_tokens: 1 } }, { stop_reason: 'refusal' }],
  ];
  it.each(results)('result: canonical -> message -> canonical keeps %s', (_n, r, shape) => {
    const message = canonicalToAnthropicMessage(r, { id: 'rr_x', created: 1 });
    expect(message).toMatchObject({ id: 'rr_x', type: 'message', role: 'assistant', model: 'c', ...shape });
    expect(anthropicMessageToCanonical(message)).toEqual(r);
  });

  it('result: renders text content and usage', () => {
    expect(canonicalToAnthropicMessage({ model: 'c', text: 'hi', finish_reason: 'stop', usage: { input_tokens: 3, output_tokens: 1 } }, { id: 'rr_x', created: 1 })).toEqual({
      id: 'rr_x', type: 'message', role: 'assistant', model: 'c', content: [{ type: 'text', text: 'hi' }],
      stop_reason: 'end_turn', stop_sequence: null, stop_details: null,
      usage: { input_tokens: 3, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    });
  });

  it.each([
    ['pause_turn', 'stop'], ['model_context_window_exceeded', 'length'], [null, 'stop'], ['something_new', 'stop'], ['constructor', 'stop'],
  ] as const)('result: reads stop_reason %s as %s, counts cached input, skips blocks other than text, tool_use and thinking', (reason, finish) => {
    const sut = anthropicMessageToCanonical({
      id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-x', stop_reason: reason as AnthropicMessage['stop_reason'], stop_sequence: null,
      content: [{ type: 'server_tool_use' }, { type: 'text', text: 'a' }, { type: 'web_search_tool_result' }, { type: 'text', text: 'b' }],
      usage: { input_tokens: 5, output_tokens: 2, cache_creation_input_tokens: 10, cache_read_input_tokens: null },
    });
    expect(sut).toEqual({ model: 'claude-x', text: 'ab', finish_reason: finish, usage: { input_tokens: 15, output_tokens: 2 } });
  });
});

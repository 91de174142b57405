import type { CanonicalRequest, CanonicalResult } from '@reqrun/contracts';
import { messagesOptions, thinkingProblem, thinks } from './anthropic-options.js';
import { canonicalToChat, canonicalToChatCompletion } from './chat.translate.js';
import {
  anthropicMessageToCanonical, canonicalToAnthropicMessage, canonicalToMessages, messagesToCanonical, type AnthropicMessage, type AnthropicRequest,
} from './messages.translate.js';
import { mockAnswer } from './mock-answer.js';
import { canonicalToResponse, canonicalToResponses } from './responses.translate.js';

const asBody = (r: AnthropicRequest) => r as unknown as Record<string, unknown>;
const usage = { input_tokens: 3, output_tokens: 4 };
const thought = { type: 'thinking' as const, thinking: 'The user wants the weather.', signature: 'EqQBCgIYAhIM1gbcDa9GJwZA' };
const redacted = { type: 'redacted_thinking' as const, data: 'EmwKAhgBEgy3va3pzix/LafPsn4a' };
const toolUse = { type: 'tool_use' as const, id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } };
const tools = [{ name: 'get_weather', input_schema: { type: 'object' } }];

/** A tool loop with thinking, in Messages' words: the assistant turn as Anthropic answered it, then the failed call's result. */
const loop: AnthropicRequest = {
  model: 'c', max_tokens: 4000, top_k: 5, thinking: { type: 'enabled', budget_tokens: 2048 }, tools,
  messages: [
    { role: 'user', content: 'weather?' },
    { role: 'assistant', content: [thought, redacted, { type: 'text', text: 'Let me look.' }, toolUse] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'service down', is_error: true }] },
  ],
};

describe("Anthropic's options: thinking's shape", () => {
  it.each([
    [{ type: 'enabled', budget_tokens: 1024 }],
    [{ type: 'enabled', budget_tokens: 5000, display: 'omitted' }],
    [{ type: 'adaptive' }],
    [{ type: 'adaptive', display: 'summarized' }],
    [{ type: 'disabled' }],
  ])('takes %j', (t) => {
    expect(thinkingProblem(t)).toBeNull();
  });

  it.each([
    ['a string', 'enabled', /^must be an object/],
    ['another type', { type: 'on' }, /^type must be one of enabled, adaptive, disabled$/],
    ['enabled without a budget', { type: 'enabled' }, /^budget_tokens must be an integer of at least 1024$/],
    ['a budget under 1024', { type: 'enabled', budget_tokens: 1023 }, /^budget_tokens must be an integer of at least 1024$/],
    ['a budget that is not an integer', { type: 'enabled', budget_tokens: 2000.5 }, /^budget_tokens must be an integer/],
    ['another display', { type: 'adaptive', display: 'full' }, /^display must be one of summarized, omitted$/],
  ])('refuses %s', (_n, t, message) => {
    expect(thinkingProblem(t)).toMatch(message);
  });

  it('thinks unless disabled or absent', () => {
    expect([thinks({ type: 'enabled', budget_tokens: 1024 }), thinks({ type: 'adaptive' }), thinks({ type: 'disabled' }), thinks(undefined)]).toEqual([true, true, false, false]);
  });
});

describe("Anthropic's options: Messages -> canonical -> an Anthropic provider", () => {
  it('top_k and thinking are kept (only their own fields) and sent on as they came', () => {
    const c = messagesToCanonical({ model: 'c', max_tokens: 5000, messages: [{ role: 'user', content: 'q' }], top_k: 0, thinking: { type: 'enabled', budget_tokens: 2048, display: 'omitted', extra: 1 } });
    expect(c.anthropic).toEqual({ top_k: 0, thinking: { type: 'enabled', budget_tokens: 2048, display: 'omitted' } });
    expect(canonicalToMessages(c)).toMatchObject({ top_k: 0, thinking: { type: 'enabled', budget_tokens: 2048, display: 'omitted' } });
  });

  it('what is not of their shape, and nulls, stay out', () => {
    expect(messagesOptions({ top_k: -1, thinking: { type: 'enabled', budget_tokens: 10 } })).toBeUndefined();
    expect(messagesOptions({ top_k: 1.5, thinking: null })).toBeUndefined();
    expect(messagesToCanonical({ model: 'c', max_tokens: 5, messages: [{ role: 'user', content: 'q' }], top_k: null })).not.toHaveProperty('anthropic');
  });

  it('a tool loop with thinking goes back unchanged: thinking blocks as they came and first, is_error on its tool_result', () => {
    const c = messagesToCanonical(asBody(loop));
    expect(c.messages[1]).toEqual({ role: 'assistant', content: 'Let me look.', thinking: [thought, redacted], tool_calls: [{ id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Paris"}' }] });
    expect(c.messages[2]).toEqual({ role: 'tool', content: 'service down', tool_call_id: 'toolu_1', is_error: true });
    expect(canonicalToMessages(c)).toEqual(loop);
  });

  it('is_error false is sent as false; an assistant turn of thinking only is blocks', () => {
    const body: AnthropicRequest = {
      model: 'c', max_tokens: 5,
      messages: [
        { role: 'assistant', content: [redacted] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: 'ok', is_error: false }] },
      ],
    };
    expect(canonicalToMessages(messagesToCanonical(asBody(body)))).toEqual(body);
  });
});

describe("Anthropic's options: OpenAI-compatible providers (chat and Responses) leave them out", () => {
  const c = messagesToCanonical(asBody(loop));

  it('chat: no top_k, no thinking, no thinking blocks, no is_error', () => {
    const wire = canonicalToChat(c) as unknown as Record<string, any>;
    expect(wire).not.toHaveProperty('top_k');
    expect(wire).not.toHaveProperty('thinking');
    expect(wire.messages[1]).toEqual({ role: 'assistant', content: 'Let me look.', tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] });
    expect(wire.messages[2]).toEqual({ role: 'tool', content: 'service down', tool_call_id: 'toolu_1' });
  });

  it('Responses: none of them either', () => {
    const wire = JSON.stringify(canonicalToResponses(c));
    for (const word of ['top_k', 'thinking', 'is_error', 'redacted', thought.signature]) expect(wire).not.toContain(word);
  });
});

describe('thinking blocks in answers', () => {
  const message: AnthropicMessage = {
    id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-x', stop_reason: 'tool_use', stop_sequence: null, usage,
    content: [thought, redacted, { type: 'text', text: 'Checking.' }, toolUse],
  };
  const result: CanonicalResult = {
    model: 'claude-x', text: 'Checking.', thinking: [thought, redacted], tool_calls: [{ id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Paris"}' }], finish_reason: 'tool_calls', usage,
  };

  it("a provider's thinking blocks are kept in the canonical result, in order", () => {
    expect(anthropicMessageToCanonical(message)).toEqual(result);
  });

  it('a Messages answer gives them back first, as they came, then the text and the calls', () => {
    expect(canonicalToAnthropicMessage(result, { id: 'rr_x', created: 1 }).content).toEqual(message.content);
  });

  it('chat and Responses answers leave them out', () => {
    expect(JSON.stringify(canonicalToChatCompletion(result, { id: 'rr_x', created: 1 }))).not.toContain('thinking');
    expect(JSON.stringify(canonicalToResponse(result, { id: 'rr_x', created: 1, request: { model: 'm', input: 'q' } }))).not.toContain(thought.signature);
  });
});

describe('the mock, asked to think', () => {
  const ask = (anthropic: CanonicalRequest['anthropic'], extra: Partial<CanonicalRequest> = {}) =>
    mockAnswer({ model: 'm', messages: [{ role: 'user', content: 'hi' }], ...(anthropic ? { anthropic } : {}), ...extra });

  it('thinks first: one thinking block about the last user turn, billed as output', () => {
    const a = ask({ thinking: { type: 'enabled', budget_tokens: 1024 } });
    expect(a).toMatchObject({ text: 'Mock reply to: hi', thinking: [{ type: 'thinking', thinking: 'Mock thinking about: hi', signature: 'mock-signature' }] });
    expect(a.usage.output_tokens).toBe(ask(undefined).usage.output_tokens + Math.ceil('Mock thinking about: hi'.length / 4));
  });

  it('thinks before a tool call too; with display omitted its thinking is empty', () => {
    const a = ask({ thinking: { type: 'adaptive', display: 'omitted' } }, { tools: [{ name: 'f' }] });
    expect(a).toMatchObject({ finish_reason: 'tool_calls', thinking: [{ type: 'thinking', thinking: '', signature: 'mock-signature' }] });
  });

  it('does not think when thinking is disabled; top_k changes nothing', () => {
    expect(ask({ thinking: { type: 'disabled' }, top_k: 3 })).toEqual(ask(undefined));
  });
});

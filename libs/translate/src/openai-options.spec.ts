import { canonicalToChat, chatToCanonical } from './chat.translate.js';
import { canonicalToResponses, responsesToCanonical } from './responses.translate.js';

const messages = [{ role: 'user', content: 'q' }];

describe("OpenAI's sampling and reasoning options", () => {
  it('chat: kept and sent on under their own names; wrong types and nulls stay out', () => {
    const body = { model: 'm', messages, seed: 7, presence_penalty: 0.5, frequency_penalty: -1, logit_bias: { '50256': -100 }, reasoning_effort: 'low', verbosity: 'high', user: 'u1', service_tier: 'flex', prompt_cache_key: 'k', safety_identifier: 's', n: 1 };
    const c = chatToCanonical(body);
    expect(c.openai).toEqual({ seed: 7, presence_penalty: 0.5, frequency_penalty: -1, logit_bias: { '50256': -100 }, reasoning_effort: 'low', verbosity: 'high', user: 'u1', service_tier: 'flex', prompt_cache_key: 'k', safety_identifier: 's' });
    expect(canonicalToChat(c)).toMatchObject(c.openai!);
    expect(chatToCanonical({ model: 'm', messages, seed: 1.5, user: null, reasoning_effort: 3 })).not.toHaveProperty('openai');
  });

  it('Responses: reasoning.effort and text.verbosity, both ways, and to chat', () => {
    const c = responsesToCanonical({ model: 'm', input: 'q', reasoning: { effort: 'minimal' }, text: { verbosity: 'low' }, user: 'u', service_tier: 'auto' });
    expect(c.openai).toEqual({ reasoning_effort: 'minimal', verbosity: 'low', user: 'u', service_tier: 'auto' });
    expect(canonicalToResponses(c)).toMatchObject({ reasoning: { effort: 'minimal' }, text: { verbosity: 'low' }, user: 'u', service_tier: 'auto' });
    expect(canonicalToChat(c)).toMatchObject({ reasoning_effort: 'minimal', verbosity: 'low', user: 'u', service_tier: 'auto' });
  });

  it('chat to a Responses provider: what Responses has not (seed, penalties) stays out', () => {
    const wire = canonicalToResponses(chatToCanonical({ model: 'm', messages, seed: 3, presence_penalty: 1, reasoning_effort: 'high' }));
    expect(wire).toMatchObject({ reasoning: { effort: 'high' } });
    expect(wire).not.toHaveProperty('seed');
    expect(wire).not.toHaveProperty('presence_penalty');
  });
});

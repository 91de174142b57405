import type { OpenAIOptions } from '@reqrun/contracts';

/** OpenAI options in chat's names, and what each must be to be sent on (anything else stays out). */
const CHAT_OPTIONS: Record<keyof OpenAIOptions, (v: unknown) => boolean> = {
  seed: Number.isInteger,
  presence_penalty: (v) => typeof v === 'number',
  frequency_penalty: (v) => typeof v === 'number',
  logit_bias: (v) => v !== null && typeof v === 'object' && !Array.isArray(v),
  reasoning_effort: (v) => typeof v === 'string',
  verbosity: (v) => typeof v === 'string',
  user: (v) => typeof v === 'string',
  service_tier: (v) => typeof v === 'string',
  prompt_cache_key: (v) => typeof v === 'string',
  safety_identifier: (v) => typeof v === 'string',
};

/** The OpenAI options a chat body sets (chat's own names), or undefined when it sets none. */
export function chatOptions(body: Record<string, unknown>): OpenAIOptions | undefined {
  const picked = Object.entries(CHAT_OPTIONS).filter(([k, ok]) => body[k] !== undefined && body[k] !== null && ok(body[k]));
  return picked.length ? (Object.fromEntries(picked.map(([k]) => [k, body[k]])) as OpenAIOptions) : undefined;
}

/** The OpenAI options a Responses body sets: `reasoning.effort` and `text.verbosity` there, the rest by chat's names. */
export function responsesOptions(body: Record<string, any>): OpenAIOptions | undefined {
  return chatOptions({
    reasoning_effort: body.reasoning?.effort,
    verbosity: body.text?.verbosity,
    ...Object.fromEntries(['user', 'service_tier', 'prompt_cache_key', 'safety_identifier'].map((k) => [k, body[k]])),
  });
}

/** The options in a Responses request's shape (what chat has and Responses has not, seed and penalties, stay out). */
export function responsesFields(o: OpenAIOptions): Record<string, unknown> {
  const { reasoning_effort, verbosity: _v, seed: _s, presence_penalty: _p, frequency_penalty: _f, logit_bias: _l, ...rest } = o;
  return { ...rest, ...(reasoning_effort !== undefined ? { reasoning: { effort: reasoning_effort } } : {}) };
}

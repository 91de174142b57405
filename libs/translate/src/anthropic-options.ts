import type { AnthropicOptions, ThinkingConfig } from '@reqrun/contracts';

/** The smallest thinking budget Anthropic takes. */
export const MIN_THINKING_BUDGET = 1024;
const THINKING_TYPES = ['enabled', 'adaptive', 'disabled'];
const DISPLAYS = ['summarized', 'omitted'];

const isObject = (v: unknown): v is Record<string, any> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isSet = (v: unknown): boolean => v !== undefined && v !== null;

/**
 * What is wrong with a Messages `thinking`: `{type: 'enabled', budget_tokens}` (an integer of at least 1024),
 * `{type: 'adaptive'}` or `{type: 'disabled'}`, with `display` `summarized` or `omitted` if any. Null when nothing is.
 */
export function thinkingProblem(v: unknown): string | null {
  if (!isObject(v)) return "must be an object: {type: 'enabled', budget_tokens}, {type: 'adaptive'} or {type: 'disabled'}";
  if (!THINKING_TYPES.includes(v.type)) return `type must be one of ${THINKING_TYPES.join(', ')}`;
  if (v.type === 'enabled' && !(Number.isInteger(v.budget_tokens) && v.budget_tokens >= MIN_THINKING_BUDGET)) {
    return `budget_tokens must be an integer of at least ${MIN_THINKING_BUDGET}`;
  }
  if (isSet(v.display) && !DISPLAYS.includes(v.display)) return `display must be one of ${DISPLAYS.join(', ')}`;
  return null;
}

/** A valid `thinking` as ReqRun carries it (the fields Anthropic defines), else undefined. */
export function thinkingOf(v: unknown): ThinkingConfig | undefined {
  if (thinkingProblem(v) !== null) return undefined;
  const t = v as Record<string, any>;
  if (t.type === 'disabled') return { type: 'disabled' };
  const display = isSet(t.display) ? { display: t.display } : {};
  return t.type === 'enabled' ? { type: 'enabled', budget_tokens: t.budget_tokens, ...display } : { type: 'adaptive', ...display };
}

/** Whether the model is asked to think (any `thinking` but a disabled one). */
export const thinks = (t: ThinkingConfig | undefined): boolean => t !== undefined && t.type !== 'disabled';

/** The Anthropic options a Messages body sets (what is not of their shape stays out), or undefined when it sets none. */
export function messagesOptions(body: Record<string, unknown>): AnthropicOptions | undefined {
  const topK = body.top_k;
  const thinking = thinkingOf(body.thinking);
  const o: AnthropicOptions = {
    ...(Number.isInteger(topK) && (topK as number) >= 0 ? { top_k: topK as number } : {}),
    ...(thinking ? { thinking } : {}),
  };
  return Object.keys(o).length ? o : undefined;
}

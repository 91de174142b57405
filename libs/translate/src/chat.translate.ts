import type { CanonicalMessage, CanonicalRequest, CanonicalResult, Role } from '@reqrun/contracts';

/** OpenAI Chat Completions <-> canonical. Pure: ids and times come in as arguments. */

type ChatContent = string | null | undefined | Array<{ type?: string; text?: string }>;

export function chatToCanonical(body: Record<string, unknown>): CanonicalRequest {
  const messages = (body.messages as Array<{ role: string; content: ChatContent; name?: string }>).map(
    (m): CanonicalMessage => ({
      role: (m.role === 'developer' ? 'system' : m.role) as Role,
      content: contentText(m.content),
      ...(m.name ? { name: m.name } : {}),
    }),
  );
  const stop = body.stop;
  return {
    model: body.model as string,
    messages,
    ...num('max_tokens', body.max_completion_tokens ?? body.max_tokens),
    ...num('temperature', body.temperature),
    ...num('top_p', body.top_p),
    ...(stop === undefined || stop === null ? {} : { stop: Array.isArray(stop) ? (stop as string[]) : [stop as string] }),
    ...(body.metadata ? { metadata: body.metadata as Record<string, unknown> } : {}),
  };
}

export interface ResultIdentity {
  id: string;
  /** Epoch seconds. */
  created: number;
}

export function canonicalToChatCompletion(r: CanonicalResult, o: ResultIdentity) {
  return {
    id: o.id,
    object: 'chat.completion' as const,
    created: o.created,
    model: r.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant' as const, content: r.text, refusal: null },
        logprobs: null,
        finish_reason: r.finish_reason,
      },
    ],
    usage: {
      prompt_tokens: r.usage.input_tokens,
      completion_tokens: r.usage.output_tokens,
      total_tokens: r.usage.input_tokens + r.usage.output_tokens,
    },
    service_tier: 'default' as const,
  };
}

export function contentText(c: ChatContent): string {
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) return c.map((p) => (typeof p?.text === 'string' ? p.text : '')).join('');
  return '';
}

const num = (k: string, v: unknown) => (typeof v === 'number' ? { [k]: v } : {});

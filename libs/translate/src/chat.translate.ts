import type { CanonicalMessage, CanonicalRequest, CanonicalResult, FinishReason, Role } from '@reqrun/contracts';
import { canonicalToFormat, formatToCanonical } from './output-format.js';
import { contentText, num, type ResultIdentity, type TextContent } from './shape-parts.js';

/** OpenAI Chat Completions <-> canonical, both directions of request and result. Pure. */

export interface ChatMessage {
  role: string;
  content: TextContent;
  name?: string;
}

/** The part of a chat completion request the translation reads and writes; providers accept more. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  max_completion_tokens?: number;
  temperature?: number;
  top_p?: number;
  stop?: string[];
  metadata?: Record<string, unknown>;
  response_format?: Record<string, unknown>;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{ index: number; message: { role: 'assistant'; content: string | null; refusal?: string | null }; logprobs?: unknown; finish_reason: string | null }>;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  service_tier?: string | null;
}

/** A chat completion request body, as the caller sent it -> canonical. System turns stay in `messages`. */
export function chatToCanonical(body: Record<string, unknown>): CanonicalRequest {
  const messages = (body.messages as ChatMessage[]).map(
    (m): CanonicalMessage => ({
      role: (m.role === 'developer' ? 'system' : m.role) as Role,
      content: contentText(m.content),
      ...(m.name ? { name: m.name } : {}),
    }),
  );
  const stop = body.stop;
  const format = formatToCanonical(body.response_format, 'chat');
  return {
    model: body.model as string,
    messages,
    ...num('max_tokens', body.max_completion_tokens ?? body.max_tokens),
    ...num('temperature', body.temperature),
    ...num('top_p', body.top_p),
    ...(stop === undefined || stop === null ? {} : { stop: Array.isArray(stop) ? (stop as string[]) : [stop as string] }),
    ...(body.metadata ? { metadata: body.metadata as Record<string, unknown> } : {}),
    ...(format ? { format } : {}),
  };
}

/**
 * Canonical -> a chat completion request for an OpenAI-compatible provider. `system` becomes the first message;
 * the token cap is sent as `max_completion_tokens` (OpenAI's current name; its reasoning models refuse `max_tokens`).
 */
export function canonicalToChat(req: CanonicalRequest): ChatRequest {
  return {
    model: req.model,
    messages: [
      ...(req.system !== undefined ? [{ role: 'system', content: req.system }] : []),
      ...req.messages.map((m) => ({ role: m.role, content: m.content, ...(m.name ? { name: m.name } : {}) })),
    ],
    ...num('max_completion_tokens', req.max_tokens),
    ...num('temperature', req.temperature),
    ...num('top_p', req.top_p),
    ...(req.stop?.length ? { stop: req.stop } : {}),
    ...(req.metadata ? { metadata: req.metadata } : {}),
    ...(req.format ? { response_format: canonicalToFormat(req.format, 'chat') } : {}),
  };
}

/** A provider's chat completion -> canonical result (the first choice). Chat does not say which stop sequence hit. */
export function chatCompletionToCanonical(c: ChatCompletion): CanonicalResult {
  const choice = c.choices[0];
  return {
    model: c.model,
    text: contentText(choice?.message.content),
    finish_reason: finishOf(choice?.finish_reason),
    usage: { input_tokens: c.usage?.prompt_tokens ?? 0, output_tokens: c.usage?.completion_tokens ?? 0 },
  };
}

export function canonicalToChatCompletion(r: CanonicalResult, o: ResultIdentity): ChatCompletion {
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
    usage: chatUsage(r.usage),
    service_tier: 'default' as const,
  };
}

/** Canonical usage in chat's words (a completion's `usage`, and a stream's last chunk). */
export function chatUsage(u: CanonicalResult['usage']) {
  return { prompt_tokens: u.input_tokens, completion_tokens: u.output_tokens, total_tokens: u.input_tokens + u.output_tokens };
}

function finishOf(f: string | null | undefined): FinishReason {
  switch (f) {
    case 'length':
    case 'content_filter':
    case 'tool_calls':
      return f;
    case 'function_call':
      return 'tool_calls';
    default:
      return 'stop';
  }
}

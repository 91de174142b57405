import { badRequest, type CanonicalMessage, type CanonicalRequest, type CanonicalResult, type FinishReason } from '@reqrun/contracts';
import { contentText, num, splitSystem, type ResultIdentity } from './shape-parts.js';

/** Anthropic Messages <-> canonical, both directions of request and result. Pure. */

export interface AnthropicTextBlock {
  type: 'text';
  text: string;
}

export interface AnthropicMessageParam {
  /** `system` = a system message in the middle of the conversation (newer models); leading ones go to `system`. */
  role: 'user' | 'assistant' | 'system';
  content: string | AnthropicTextBlock[];
}

/** The part of a Messages request the translation reads and writes; the API accepts more. */
export interface AnthropicRequest {
  model: string;
  max_tokens: number;
  messages: AnthropicMessageParam[];
  system?: string | AnthropicTextBlock[];
  stop_sequences?: string[];
  temperature?: number;
  top_p?: number;
  metadata?: { user_id?: string };
}

export type AnthropicStopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'pause_turn' | 'refusal' | 'model_context_window_exceeded';

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

export interface AnthropicMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: Array<{ type: string; text?: string }>;
  stop_reason: AnthropicStopReason | null;
  stop_sequence: string | null;
  stop_details?: unknown;
  usage: AnthropicUsage;
}

export interface MessagesWireOptions {
  /** `max_tokens` is required by Anthropic; used when the canonical request has none (e.g. a chat request). */
  default_max_tokens: number;
}
export const defaultMessagesWire: MessagesWireOptions = { default_max_tokens: 4096 };

/** A Messages request body, as the caller sent it -> canonical. */
export function messagesToCanonical(body: Record<string, unknown>): CanonicalRequest {
  const b = body as Partial<AnthropicRequest>;
  const system = contentText(b.system);
  return {
    model: b.model as string,
    ...(system !== '' ? { system } : {}),
    messages: (b.messages ?? []).map((m): CanonicalMessage => ({ role: m.role, content: contentText(m.content) })),
    ...num('max_tokens', b.max_tokens),
    ...num('temperature', b.temperature),
    ...num('top_p', b.top_p),
    ...(b.stop_sequences?.length ? { stop: [...b.stop_sequences] } : {}),
    ...(b.metadata ? { metadata: b.metadata as Record<string, unknown> } : {}),
  };
}

/**
 * Canonical -> a Messages request for Anthropic. Leading system messages join `system`; `max_tokens` falls back to a
 * default; `temperature` is capped at 1 (Anthropic's maximum; OpenAI's scale goes to 2); of `metadata` only
 * `user_id` is sent (Anthropic refuses other keys). Tool messages cannot be translated yet.
 */
export function canonicalToMessages(req: CanonicalRequest, o: Partial<MessagesWireOptions> = {}): AnthropicRequest {
  const { default_max_tokens } = { ...defaultMessagesWire, ...o };
  const { system, messages } = splitSystem(req);
  const userId = req.metadata?.user_id;
  return {
    model: req.model,
    max_tokens: req.max_tokens ?? default_max_tokens,
    ...(system !== undefined ? { system } : {}),
    messages: messages.map(anthropicTurn),
    ...(req.stop?.length ? { stop_sequences: req.stop } : {}),
    ...num('temperature', req.temperature === undefined ? undefined : Math.min(req.temperature, 1)),
    ...num('top_p', req.top_p),
    ...(typeof userId === 'string' ? { metadata: { user_id: userId } } : {}),
  };
}

function anthropicTurn(m: CanonicalMessage): AnthropicMessageParam {
  if (m.role === 'tool') {
    throw badRequest('A tool message cannot be sent through the Anthropic Messages API: ReqRun does not translate tool calls yet.', 'messages');
  }
  return { role: m.role, content: m.content };
}

const finishByStopReason: Record<AnthropicStopReason, FinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

/** An Anthropic message -> canonical result. Input tokens count cache reads and writes too: all the input there was. */
export function anthropicMessageToCanonical(m: AnthropicMessage): CanonicalResult {
  const u = m.usage;
  return {
    model: m.model,
    text: m.content.filter((b) => b.type === 'text').map((b) => b.text ?? '').join(''),
    finish_reason: (m.stop_reason && Object.hasOwn(finishByStopReason, m.stop_reason) && finishByStopReason[m.stop_reason]) || 'stop',
    ...(m.stop_reason === 'stop_sequence' && m.stop_sequence !== null ? { stop_sequence: m.stop_sequence } : {}),
    usage: {
      input_tokens: u.input_tokens + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0),
      output_tokens: u.output_tokens,
    },
  };
}

export function canonicalToAnthropicMessage(r: CanonicalResult, o: ResultIdentity): AnthropicMessage {
  const bySequence = r.finish_reason === 'stop' && r.stop_sequence !== undefined;
  return {
    id: o.id,
    type: 'message',
    role: 'assistant',
    model: r.model,
    content: r.text === '' ? [] : [{ type: 'text', text: r.text }],
    stop_reason: bySequence ? 'stop_sequence' : stopReasonOf(r.finish_reason),
    stop_sequence: bySequence ? r.stop_sequence! : null,
    stop_details: null,
    usage: { input_tokens: r.usage.input_tokens, output_tokens: r.usage.output_tokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  };
}

function stopReasonOf(f: FinishReason): AnthropicStopReason {
  switch (f) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}

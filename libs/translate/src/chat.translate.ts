import type { CanonicalImage, CanonicalMessage, CanonicalPart, CanonicalRequest, CanonicalResult, CanonicalToolCall, FinishReason, Role, ToolChoice } from '@reqrun/contracts';
import { turnOf } from './image-url.js';
import { chatOptions } from './openai-options.js';
import { canonicalToFormat, formatToCanonical } from './output-format.js';
import { canonicalTool, contentText, num, type ResultIdentity, type TextContent } from './shape-parts.js';

/** OpenAI Chat Completions <-> canonical, both directions of request and result. Pure. */

export interface ChatMessage {
  role: string;
  content: TextContent | null;
  name?: string;
  tool_calls?: ChatToolCall[];
  tool_call_id?: string;
}

export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ChatTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean };
}

type ChatToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };

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
  tools?: ChatTool[];
  tool_choice?: ChatToolChoice;
  parallel_tool_calls?: boolean;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{ index: number; message: { role: 'assistant'; content: string | null; refusal?: string | null; tool_calls?: ChatToolCall[] }; logprobs?: unknown; finish_reason: string | null }>;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  service_tier?: string | null;
}

/** A chat completion request body, as the caller sent it -> canonical. System turns stay in `messages`. */
export function chatToCanonical(body: Record<string, unknown>): CanonicalRequest {
  const messages = (body.messages as ChatMessage[]).map(
    (m): CanonicalMessage => ({
      role: (m.role === 'developer' ? 'system' : m.role) as Role,
      ...turnOf(m.content, chatImage),
      ...(m.name ? { name: m.name } : {}),
      ...(m.tool_calls?.length ? { tool_calls: m.tool_calls.map(toolCallToCanonical) } : {}),
      ...(m.role === 'tool' ? { tool_call_id: m.tool_call_id } : {}),
    }),
  );
  const tools = body.tools as ChatTool[] | undefined;
  const choice = body.tool_choice as ChatToolChoice | undefined;
  const stop = body.stop;
  const format = formatToCanonical(body.response_format, 'chat');
  const openai = chatOptions(body);
  return {
    model: body.model as string,
    messages,
    ...num('max_tokens', body.max_completion_tokens ?? body.max_tokens),
    ...num('temperature', body.temperature),
    ...num('top_p', body.top_p),
    ...(stop === undefined || stop === null ? {} : { stop: Array.isArray(stop) ? (stop as string[]) : [stop as string] }),
    ...(body.metadata ? { metadata: body.metadata as Record<string, unknown> } : {}),
    ...(format ? { format } : {}),
    ...(tools?.length ? { tools: tools.map((t) => canonicalTool(t.function)) } : {}),
    ...(choice !== undefined ? { tool_choice: typeof choice === 'string' ? choice : { name: choice.function.name } } : {}),
    ...(typeof body.parallel_tool_calls === 'boolean' ? { parallel_tool_calls: body.parallel_tool_calls } : {}),
    ...(openai ? { openai } : {}),
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
      ...req.messages.map((m): ChatMessage => ({
        role: m.role,
        // OpenAI takes no content beside tool calls as null, not ''
        content: m.parts ? m.parts.map(chatPart) : m.tool_calls?.length && m.content === '' ? null : m.content,
        ...(m.name ? { name: m.name } : {}),
        ...(m.tool_calls?.length ? { tool_calls: m.tool_calls.map(toolCallToChat) } : {}),
        ...(m.tool_call_id !== undefined ? { tool_call_id: m.tool_call_id } : {}),
      })),
    ],
    ...num('max_completion_tokens', req.max_tokens),
    ...num('temperature', req.temperature),
    ...num('top_p', req.top_p),
    ...(req.stop?.length ? { stop: req.stop } : {}),
    ...(req.metadata ? { metadata: req.metadata } : {}),
    ...(req.format ? { response_format: canonicalToFormat(req.format, 'chat') } : {}),
    ...(req.tools?.length ? { tools: req.tools.map((f): ChatTool => ({ type: 'function', function: f })) } : {}),
    ...(req.tool_choice !== undefined ? { tool_choice: toolChoiceToChat(req.tool_choice) } : {}),
    ...(req.parallel_tool_calls !== undefined ? { parallel_tool_calls: req.parallel_tool_calls } : {}),
    ...req.openai,
  };
}

/** A provider's chat completion -> canonical result (the first choice). Chat does not say which stop sequence hit. */
export function chatCompletionToCanonical(c: ChatCompletion): CanonicalResult {
  const choice = c.choices[0];
  return {
    model: c.model,
    text: contentText(choice?.message.content),
    ...(choice?.message.tool_calls?.length ? { tool_calls: choice.message.tool_calls.map(toolCallToCanonical) } : {}),
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
        message: {
          role: 'assistant' as const,
          content: r.tool_calls?.length && r.text === '' ? null : r.text,
          refusal: null,
          ...(r.tool_calls?.length ? { tool_calls: r.tool_calls.map(toolCallToChat) } : {}),
        },
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

const toolCallToCanonical = (c: ChatToolCall): CanonicalToolCall => ({ id: c.id, name: c.function.name, arguments: c.function.arguments });
const toolCallToChat = (c: CanonicalToolCall): ChatToolCall => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } });
const toolChoiceToChat = (c: ToolChoice): ChatToolChoice => (typeof c === 'string' ? c : { type: 'function', function: { name: c.name } });

/** A chat `image_url` part as a canonical image; null for any other part. */
const chatImage = (p: { type?: string; image_url?: { url: string; detail?: 'auto' | 'low' | 'high' } }): CanonicalImage | null =>
  p?.type === 'image_url' ? { type: 'image', url: p.image_url!.url, ...(p.image_url!.detail ? { detail: p.image_url!.detail } : {}) } : null;

const chatPart = (p: CanonicalPart) =>
  p.type === 'image' ? { type: 'image_url', image_url: { url: p.url, ...(p.detail ? { detail: p.detail } : {}) } } : { type: 'text', text: p.text };

import {
  badRequest, type CanonicalImage, type CanonicalMessage, type CanonicalPart, type CanonicalRequest, type CanonicalResult, type CanonicalThinking, type CanonicalTool,
  type CanonicalToolCall, type FinishReason, type ThinkingConfig, type ToolChoice,
} from '@reqrun/contracts';
import { messagesOptions } from './anthropic-options.js';
import { dataUrl, parseDataUrl, turnOf } from './image-url.js';
import { canonicalTool, contentText, num, splitSystem, type ResultIdentity } from './shape-parts.js';

/** Anthropic Messages <-> canonical, both directions of request and result. Pure. */

export interface AnthropicTextBlock {
  type: 'text';
  text: string;
}

/** The model calling a tool (an answer's block, and an assistant turn's when sent back). */
export interface AnthropicToolUseBlock {
  type: 'tool_use';
  id: string;
  name: string;
  input: unknown;
}

/** A tool's result, in a user turn. ReqRun reads text content only. */
export interface AnthropicToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  content?: string | AnthropicTextBlock[];
  is_error?: boolean;
}

/** An image in a user turn: its bytes inline (base64), or a URL Anthropic fetches. */
export interface AnthropicImageBlock {
  type: 'image';
  source: AnthropicImageSource;
}
export type AnthropicImageSource = { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string };

/**
 * The model's extended thinking (`thinking` with its `signature`, or `redacted_thinking`): an answer's blocks, and
 * an assistant turn's when sent back, which Anthropic wants unchanged. Canonical keeps them in this same shape.
 */
export type AnthropicThinkingBlock = CanonicalThinking;

export type AnthropicContentBlock = AnthropicTextBlock | AnthropicImageBlock | AnthropicToolUseBlock | AnthropicToolResultBlock | AnthropicThinkingBlock;

export interface AnthropicMessageParam {
  /** `system` = a system message in the middle of the conversation (newer models); leading ones go to `system`. */
  role: 'user' | 'assistant' | 'system';
  /** Tool calls (tool_use) and thinking are an assistant turn's blocks; tool results (tool_result) and images a user turn's. */
  content: string | AnthropicContentBlock[];
}

/** A custom tool (Anthropic's server tools are not translated). */
export interface AnthropicTool {
  name: string;
  description?: string;
  input_schema: Record<string, unknown>;
}

export type AnthropicToolChoice =
  | { type: 'auto' | 'any'; disable_parallel_tool_use?: boolean }
  | { type: 'tool'; name: string; disable_parallel_tool_use?: boolean }
  | { type: 'none' };

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
  tools?: AnthropicTool[];
  tool_choice?: AnthropicToolChoice;
  top_k?: number;
  thinking?: ThinkingConfig;
}

export type AnthropicStopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'pause_turn' | 'refusal' | 'model_context_window_exceeded';

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

/** A block of an answer: text, a tool call, thinking, or a kind ReqRun does not read (server tools' blocks). */
export type AnthropicAnswerBlock = AnthropicTextBlock | AnthropicToolUseBlock | AnthropicThinkingBlock | { type: string };

export interface AnthropicMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: AnthropicAnswerBlock[];
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
  const choice = b.tool_choice;
  const anthropic = messagesOptions(body);
  return {
    model: b.model as string,
    ...(system !== '' ? { system } : {}),
    messages: (b.messages ?? []).flatMap(canonicalTurns),
    ...num('max_tokens', b.max_tokens),
    ...num('temperature', b.temperature),
    ...num('top_p', b.top_p),
    ...(b.stop_sequences?.length ? { stop: [...b.stop_sequences] } : {}),
    ...(b.metadata ? { metadata: b.metadata as Record<string, unknown> } : {}),
    ...(b.tools?.length ? { tools: b.tools.map((t) => canonicalTool({ ...t, parameters: t.input_schema })) } : {}),
    ...(choice ? { tool_choice: toolChoiceToCanonical(choice) } : {}),
    ...((choice as { disable_parallel_tool_use?: unknown } | undefined)?.disable_parallel_tool_use === true ? { parallel_tool_calls: false } : {}),
    ...(anthropic ? { anthropic } : {}),
  };
}

/**
 * One Messages turn -> canonical turns. A user turn's tool results become `tool` turns, ahead of the rest of its
 * text and images (a user turn of its own, unless the results were all there was); an assistant turn's tool_use
 * blocks become its `tool_calls`, and its thinking blocks its `thinking`.
 */
function canonicalTurns(m: AnthropicMessageParam): CanonicalMessage[] {
  if (typeof m.content === 'string') return [{ role: m.role, content: m.content }];
  const results = m.content.filter(isToolResult).map(toolTurn);
  const calls = m.content.filter(isToolUse).map(toolUseToCall);
  const thinking = m.content.filter(isThinking).map(thinkingBlock);
  const shown = m.content.filter(isShown);
  if (results.length > 0 && shown.length === 0 && calls.length === 0) return results;
  return [...results, { role: m.role, ...turnOf(shown, anthropicImage), ...(thinking.length ? { thinking } : {}), ...(calls.length ? { tool_calls: calls } : {}) }];
}

const toolTurn = (r: AnthropicToolResultBlock): CanonicalMessage => ({
  role: 'tool', content: contentText(r.content), tool_call_id: r.tool_use_id, ...(typeof r.is_error === 'boolean' ? { is_error: r.is_error } : {}),
});

/** An image block as a canonical image (its bytes as a data URL, or its URL); null for any other block. */
const anthropicImage = (b: { type: string }): CanonicalImage | null => {
  if (!isImage(b)) return null;
  const s = b.source;
  return { type: 'image', url: s.type === 'base64' ? dataUrl(s.media_type, s.data) : s.url };
};

/**
 * Canonical -> a Messages request for Anthropic. Leading system messages join `system`; `max_tokens` falls back to a
 * default; `temperature` is capped at 1 (Anthropic's maximum; OpenAI's scale goes to 2); of `metadata` only
 * `user_id` is sent (Anthropic refuses other keys). Tool turns become tool_result blocks of a user turn, as
 * Anthropic wants them (see `anthropicTurns`). A tool_choice goes only with tools; a tool's `strict` is not sent.
 * Anthropic's own options (`top_k`, `thinking`) go as they are.
 */
export function canonicalToMessages(req: CanonicalRequest, o: Partial<MessagesWireOptions> = {}): AnthropicRequest {
  const { default_max_tokens } = { ...defaultMessagesWire, ...o };
  const { system, messages } = splitSystem(req);
  const userId = req.metadata?.user_id;
  const choice = req.tools?.length ? toolChoiceToAnthropic(req.tool_choice, req.parallel_tool_calls) : undefined;
  return {
    model: req.model,
    max_tokens: req.max_tokens ?? default_max_tokens,
    ...(system !== undefined ? { system } : {}),
    messages: anthropicTurns(messages),
    ...(req.stop?.length ? { stop_sequences: req.stop } : {}),
    ...num('temperature', req.temperature === undefined ? undefined : Math.min(req.temperature, 1)),
    ...num('top_p', req.top_p),
    ...(typeof userId === 'string' ? { metadata: { user_id: userId } } : {}),
    ...(req.tools?.length ? { tools: req.tools.map(toolToAnthropic) } : {}),
    ...(choice ? { tool_choice: choice } : {}),
    ...req.anthropic,
  };
}

/**
 * Canonical turns -> Messages turns. Anthropic takes tool results as tool_result blocks of a user turn, all the
 * results of one assistant turn in one user turn, first; and roles must alternate. So consecutive `tool` turns
 * make one user turn, and a user turn right after them adds its text and images to it.
 */
function anthropicTurns(messages: CanonicalMessage[]): AnthropicMessageParam[] {
  const out: AnthropicMessageParam[] = [];
  let results: AnthropicContentBlock[] | null = null; // the blocks of the user turn of tool results being built
  for (const m of messages) {
    if (m.role === 'tool') {
      const block: AnthropicToolResultBlock = { type: 'tool_result', tool_use_id: m.tool_call_id ?? '', content: m.content, ...(m.is_error !== undefined ? { is_error: m.is_error } : {}) };
      if (results) results.push(block);
      else out.push({ role: 'user', content: (results = [block]) });
      continue;
    }
    if (results && m.role === 'user') {
      results.push(...shownBlocks(m));
    } else {
      out.push(anthropicTurn(m));
    }
    results = null;
  }
  return out;
}

/** A turn as blocks when it has more than text; thinking first, as Anthropic answered it (its blocks in their order). */
function anthropicTurn(m: CanonicalMessage): AnthropicMessageParam {
  const role = m.role as AnthropicMessageParam['role'];
  if (!m.tool_calls?.length && !m.parts && !m.thinking?.length) return { role, content: m.content };
  return { role, content: [...(m.thinking ?? []).map(thinkingBlock), ...shownBlocks(m), ...(m.tool_calls ?? []).map(toolUseBlock)] };
}

/**
 * A turn's text and images as blocks: its parts in order, or its text. Empty text is left out: Anthropic refuses
 * empty text blocks.
 */
function shownBlocks(m: CanonicalMessage): Array<AnthropicTextBlock | AnthropicImageBlock> {
  if (!m.parts) return m.content !== '' ? [{ type: 'text', text: m.content }] : [];
  return m.parts.filter((p) => p.type === 'image' || p.text !== '').map(partBlock);
}

const partBlock = (p: CanonicalPart): AnthropicTextBlock | AnthropicImageBlock =>
  p.type === 'image' ? { type: 'image', source: imageSource(p.url) } : { type: 'text', text: p.text };

/**
 * A data URL's bytes go inline (base64, whitespace a data URL may carry dropped: Anthropic wants plain base64); any
 * other URL as one Anthropic fetches. `detail` has no Anthropic equivalent and is not sent.
 */
function imageSource(url: string): AnthropicImageSource {
  const inline = parseDataUrl(url);
  return inline ? { type: 'base64', media_type: inline.media_type, data: inline.data.replace(/\s+/g, '') } : { type: 'url', url };
}

/** Anthropic takes a call's input as an object: arguments that are not JSON of one cannot be sent. */
function toolUseBlock(c: CanonicalToolCall): AnthropicToolUseBlock {
  const input = argumentsObject(c);
  if (!input) {
    throw badRequest(`The arguments of the tool call '${c.id}' are not a JSON object, which the Anthropic Messages API needs as the call's input.`, 'messages');
  }
  return { type: 'tool_use', id: c.id, name: c.name, input };
}

/** The call's arguments as an object; undefined when they are not JSON of one. */
function argumentsObject(c: CanonicalToolCall): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(c.arguments);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const isText = (b: { type: string }): b is AnthropicTextBlock => b.type === 'text';
const isImage = (b: { type: string }): b is AnthropicImageBlock => b.type === 'image';
/** What the model is shown of a turn besides tool calls and results: its text and images. */
const isShown = (b: { type: string }): b is AnthropicTextBlock | AnthropicImageBlock => isText(b) || isImage(b);
const isToolUse = (b: { type: string }): b is AnthropicToolUseBlock => b.type === 'tool_use';
const isToolResult = (b: { type: string }): b is AnthropicToolResultBlock => b.type === 'tool_result';
const isThinking = (b: { type: string }): b is AnthropicThinkingBlock => b.type === 'thinking' || b.type === 'redacted_thinking';
/** A thinking block's own fields, and nothing else, copied. */
const thinkingBlock = (b: AnthropicThinkingBlock): CanonicalThinking =>
  b.type === 'thinking' ? { type: 'thinking', thinking: b.thinking, signature: b.signature } : { type: 'redacted_thinking', data: b.data };
const toolUseToCall = (b: AnthropicToolUseBlock): CanonicalToolCall => ({ id: b.id, name: b.name, arguments: JSON.stringify(b.input ?? {}) });

const toolToAnthropic = (t: CanonicalTool): AnthropicTool => ({
  name: t.name,
  ...(t.description !== undefined ? { description: t.description } : {}),
  input_schema: t.parameters ?? { type: 'object' },
});

function toolChoiceToCanonical(c: AnthropicToolChoice): ToolChoice {
  switch (c.type) {
    case 'any':
      return 'required';
    case 'tool':
      return { name: c.name };
    default:
      return c.type;
  }
}

/** Anthropic says "one call at most" in the choice itself, so `parallel_tool_calls: false` alone is an `auto` choice. */
function toolChoiceToAnthropic(c: ToolChoice | undefined, parallel: boolean | undefined): AnthropicToolChoice | undefined {
  if (c === undefined && parallel !== false) return undefined;
  if (c === 'none') return { type: 'none' };
  const one = parallel === false ? { disable_parallel_tool_use: true } : {};
  if (c === undefined || c === 'auto') return { type: 'auto', ...one };
  if (c === 'required') return { type: 'any', ...one };
  return { type: 'tool', name: c.name, ...one };
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
    text: m.content.filter(isText).map((b) => b.text).join(''),
    ...(m.content.some(isToolUse) ? { tool_calls: m.content.filter(isToolUse).map(toolUseToCall) } : {}),
    ...(m.content.some(isThinking) ? { thinking: m.content.filter(isThinking).map(thinkingBlock) } : {}),
    finish_reason: (m.stop_reason && Object.hasOwn(finishByStopReason, m.stop_reason) && finishByStopReason[m.stop_reason]) || 'stop',
    ...(m.stop_reason === 'stop_sequence' && m.stop_sequence !== null ? { stop_sequence: m.stop_sequence } : {}),
    usage: {
      input_tokens: u.input_tokens + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0),
      output_tokens: u.output_tokens,
    },
  };
}

/** Canonical result -> a Message: thinking blocks first (in their order, as Anthropic answers), then the text, then the calls. */
export function canonicalToAnthropicMessage(r: CanonicalResult, o: ResultIdentity): AnthropicMessage {
  const bySequence = r.finish_reason === 'stop' && r.stop_sequence !== undefined;
  return {
    id: o.id,
    type: 'message',
    role: 'assistant',
    model: r.model,
    content: [...(r.thinking ?? []).map(thinkingBlock), ...(r.text === '' ? [] : [{ type: 'text' as const, text: r.text }]), ...(r.tool_calls ?? []).map(answerToolUse)],
    stop_reason: bySequence ? 'stop_sequence' : stopReasonOf(r.finish_reason),
    stop_sequence: bySequence ? r.stop_sequence! : null,
    stop_details: null,
    usage: { input_tokens: r.usage.input_tokens, output_tokens: r.usage.output_tokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  };
}

/** A call in an answer: there is nothing left to refuse, so arguments that are not a JSON object are shown as `{}`. */
const answerToolUse = (c: CanonicalToolCall): AnthropicToolUseBlock => ({ type: 'tool_use', id: c.id, name: c.name, input: argumentsObject(c) ?? {} });

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

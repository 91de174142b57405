import type { CanonicalImage, CanonicalMessage, CanonicalPart, CanonicalRequest, CanonicalResult, CanonicalToolCall, FinishReason, Role, ToolChoice } from '@reqrun/contracts';
import { turnOf } from './image-url.js';
import { responsesFields, responsesOptions } from './openai-options.js';
import { canonicalToFormat, formatToCanonical } from './output-format.js';
import { canonicalTool, contentText, num, type ResultIdentity, type TextContent } from './shape-parts.js';

/** OpenAI Responses <-> canonical, both directions of request and result, and the `response` object itself. Pure. */

/** An input message item (`type` may be left out: OpenAI's "easy input message"). Output messages are valid input too. */
export interface ResponsesMessageItem {
  type?: 'message';
  role: 'user' | 'assistant' | 'system' | 'developer';
  content: TextContent;
  id?: string;
  status?: string;
}

/** A call the model made (an output item, sent back as input in a tool loop). */
export interface ResponsesFunctionCall {
  type: 'function_call';
  id?: string;
  call_id: string;
  name: string;
  arguments: string;
  status?: string;
}

/** The result of a call, sent as input. */
export interface ResponsesFunctionCallOutput {
  type: 'function_call_output';
  call_id: string;
  output: TextContent;
  id?: string;
  status?: string;
}

export interface ResponsesFunctionTool {
  type: 'function';
  name: string;
  description?: string | null;
  parameters?: Record<string, unknown> | null;
  strict?: boolean | null;
}

type ResponsesToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; name: string };

/** Other items (reasoning, ...): carried along, not translated. */
export type ResponsesInputItem = ResponsesMessageItem | ResponsesFunctionCall | ResponsesFunctionCallOutput | { type: string; [k: string]: unknown };

/** The part of a Responses request the translation reads and writes; the API accepts more. */
export interface ResponsesRequest {
  model: string;
  input: string | ResponsesInputItem[];
  instructions?: string | null;
  max_output_tokens?: number;
  temperature?: number;
  top_p?: number;
  metadata?: Record<string, unknown>;
  previous_response_id?: string | null;
  background?: boolean;
  text?: { format?: Record<string, unknown>; verbosity?: string };
  reasoning?: { effort?: string };
  tools?: ResponsesFunctionTool[];
  tool_choice?: ResponsesToolChoice;
  parallel_tool_calls?: boolean;
}

export type ResponseStatus = 'queued' | 'in_progress' | 'completed' | 'failed' | 'cancelled' | 'incomplete';

export interface OutputMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  status: 'completed' | 'incomplete';
  content: Array<{ type: 'output_text'; text: string; annotations: unknown[]; logprobs: unknown[] }>;
}

export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number; cache_write_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

/** The fields of a `response` that repeat its request. */
export interface RequestEcho {
  background: boolean;
  instructions: string | null;
  max_output_tokens: number | null;
  metadata: Record<string, unknown>;
  parallel_tool_calls: unknown;
  previous_response_id: string | null;
  reasoning: unknown;
  store: unknown;
  temperature: number | null;
  text: unknown;
  tool_choice: unknown;
  tools: unknown[];
  top_p: number | null;
  truncation: unknown;
  user?: string;
}

export interface ResponseObject extends RequestEcho {
  id: string;
  object: 'response';
  created_at: number;
  status: ResponseStatus;
  completed_at?: number | null;
  error: { code: string; message: string } | null;
  incomplete_details: { reason: 'max_output_tokens' | 'content_filter' } | null;
  model: string;
  output: Array<OutputMessage | ResponsesInputItem>;
  usage?: ResponseUsage;
}

/** The input as a list of items: a string is one user message. */
export function inputItems(input: unknown): ResponsesInputItem[] {
  if (typeof input === 'string') return [{ type: 'message', role: 'user', content: input }];
  return Array.isArray(input) ? (input as ResponsesInputItem[]) : [];
}

const isMessageItem = (i: ResponsesInputItem): i is ResponsesMessageItem =>
  (i.type === undefined || i.type === 'message') && typeof (i as { role?: unknown }).role === 'string';

/** A Responses request body, as stored (a chained request's input already holds the earlier turns) -> canonical. */
export function responsesToCanonical(body: Record<string, unknown>): CanonicalRequest {
  const b = body as Partial<ResponsesRequest>;
  const format = formatToCanonical(b.text?.format, 'responses');
  const choice = b.tool_choice;
  const openai = responsesOptions(body);
  return {
    model: b.model as string,
    ...(typeof b.instructions === 'string' && b.instructions !== '' ? { system: b.instructions } : {}),
    messages: turnsOf(inputItems(b.input)),
    ...num('max_tokens', b.max_output_tokens),
    ...num('temperature', b.temperature),
    ...num('top_p', b.top_p),
    ...(b.metadata ? { metadata: b.metadata } : {}),
    ...(format ? { format } : {}),
    ...(b.tools?.length ? { tools: b.tools.map(canonicalTool) } : {}),
    ...(choice !== undefined ? { tool_choice: typeof choice === 'string' ? choice : { name: choice.name } } : {}),
    ...(typeof b.parallel_tool_calls === 'boolean' ? { parallel_tool_calls: b.parallel_tool_calls } : {}),
    ...(openai ? { openai } : {}),
  };
}

/**
 * Input items -> canonical turns: messages as they are; function calls join the assistant turn before them (or make
 * one), each call's output is a `tool` turn. Other items (reasoning) are not translated.
 */
function turnsOf(items: ResponsesInputItem[]): CanonicalMessage[] {
  const turns: CanonicalMessage[] = [];
  for (const i of items) {
    if (isMessageItem(i)) {
      turns.push({ role: (i.role === 'developer' ? 'system' : i.role) as Role, ...turnOf(i.content, responsesImage) });
    } else if (i.type === 'function_call') {
      const c = i as ResponsesFunctionCall;
      const call: CanonicalToolCall = { id: c.call_id, name: c.name, arguments: c.arguments };
      const last = turns.at(-1);
      if (last?.role === 'assistant') last.tool_calls = [...(last.tool_calls ?? []), call];
      else turns.push({ role: 'assistant', content: '', tool_calls: [call] });
    } else if (i.type === 'function_call_output') {
      const o = i as ResponsesFunctionCallOutput;
      turns.push({ role: 'tool', content: contentText(o.output), tool_call_id: o.call_id });
    }
  }
  return turns;
}

/**
 * Canonical -> a Responses request for a provider that speaks it: `system` becomes `instructions`, messages become
 * message items, tool calls `function_call` items and tool turns `function_call_output` items. The Responses API has no
 * stop sequences, so `stop` cannot be sent.
 */
export function canonicalToResponses(req: CanonicalRequest): ResponsesRequest {
  return {
    model: req.model,
    ...(req.system !== undefined ? { instructions: req.system } : {}),
    input: req.messages.flatMap(itemsOf),
    ...num('max_output_tokens', req.max_tokens),
    ...num('temperature', req.temperature),
    ...num('top_p', req.top_p),
    ...(req.metadata ? { metadata: req.metadata } : {}),
    ...(req.format || req.openai?.verbosity ? {
      text: { ...(req.format ? { format: canonicalToFormat(req.format, 'responses') } : {}), ...(req.openai?.verbosity ? { verbosity: req.openai.verbosity } : {}) },
    } : {}),
    ...(req.tools?.length ? { tools: req.tools.map((t): ResponsesFunctionTool => ({ type: 'function', ...t })) } : {}),
    ...(req.tool_choice !== undefined ? { tool_choice: typeof req.tool_choice === 'string' ? req.tool_choice : { type: 'function', name: req.tool_choice.name } } : {}),
    ...(req.parallel_tool_calls !== undefined ? { parallel_tool_calls: req.parallel_tool_calls } : {}),
    ...(req.openai ? responsesFields(req.openai) : {}),
  };
}

function itemsOf(m: CanonicalMessage): ResponsesInputItem[] {
  if (m.role === 'tool') return [{ type: 'function_call_output', call_id: m.tool_call_id ?? '', output: m.content }];
  const calls = (m.tool_calls ?? []).map((c): ResponsesFunctionCall => ({ type: 'function_call', call_id: c.id, name: c.name, arguments: c.arguments }));
  const content = m.parts ? m.parts.map(responsesPart) : m.content;
  return m.content === '' && !m.parts && calls.length > 0 ? calls : [{ type: 'message', role: m.role, content: content as TextContent }, ...calls];
}

type InputImage = { type: 'input_image'; image_url?: string; detail?: 'auto' | 'low' | 'high' };

/** A Responses `input_image` part as a canonical image; null for any other part. */
const responsesImage = (p: InputImage | { type?: string }): CanonicalImage | null => {
  if (p?.type !== 'input_image') return null;
  const image = p as InputImage;
  return { type: 'image', url: image.image_url ?? '', ...(image.detail ? { detail: image.detail } : {}) };
};

const responsesPart = (p: CanonicalPart) =>
  p.type === 'image' ? { type: 'input_image', image_url: p.url, detail: p.detail ?? 'auto' } : { type: 'input_text', text: p.text };

/** A provider's `response` -> canonical result: the text of its output messages, why it ended, its usage. */
export function responseToCanonical(r: Pick<ResponseObject, 'model' | 'status' | 'output' | 'incomplete_details' | 'usage'>): CanonicalResult {
  const messages = r.output.filter(isMessageItem);
  let finish: FinishReason = 'stop';
  if (r.status === 'incomplete') finish = r.incomplete_details?.reason === 'content_filter' ? 'content_filter' : 'length';
  const calls = r.output.filter((i): i is ResponsesFunctionCall => i.type === 'function_call');
  if (finish === 'stop' && calls.length > 0) finish = 'tool_calls';
  return {
    model: r.model,
    text: messages.map((m) => contentText(m.content)).join(''),
    ...(calls.length ? { tool_calls: calls.map((c) => ({ id: c.call_id, name: c.name, arguments: c.arguments })) } : {}),
    finish_reason: finish,
    usage: { input_tokens: r.usage?.input_tokens ?? 0, output_tokens: r.usage?.output_tokens ?? 0 },
  };
}

/** Canonical result -> a finished `response` (completed, or incomplete when the answer was cut). */
export function canonicalToResponse(r: CanonicalResult, o: ResultIdentity): ResponseObject {
  const cut = r.finish_reason === 'length' ? 'max_output_tokens' : r.finish_reason === 'content_filter' ? 'content_filter' : null;
  const status = cut ? 'incomplete' : 'completed';
  const message: OutputMessage = {
    id: `msg_${o.id.replace(/^rr_/, '')}`,
    type: 'message',
    role: 'assistant',
    status,
    content: [{ type: 'output_text', text: r.text, annotations: [], logprobs: [] }],
  };
  const base = o.id.replace(/^rr_/, '');
  const calls = (r.tool_calls ?? []).map((c, i): ResponsesFunctionCall => ({ id: `fc_${base}_${i}`, type: 'function_call', status: 'completed', call_id: c.id, name: c.name, arguments: c.arguments }));
  return {
    ...responseShell(o, r.model, status),
    incomplete_details: cut ? { reason: cut } : null,
    output: calls.length > 0 && r.text === '' ? calls : [message, ...calls],
    usage: {
      input_tokens: r.usage.input_tokens,
      input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
      output_tokens: r.usage.output_tokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: r.usage.input_tokens + r.usage.output_tokens,
    },
  };
}

/** A `response` that has no answer: queued, in progress, failed (with its error) or cancelled. */
export function responseWithoutOutput(
  o: ResultIdentity,
  model: string,
  status: Exclude<ResponseStatus, 'completed' | 'incomplete'>,
  error: { code: string; message: string } | null = null,
): ResponseObject {
  return { ...responseShell(o, model, status), error };
}

/** The input of a turn that continues an earlier response: the earlier input, its output items, then the new input. */
export function continuedInput(previousInput: unknown, previousOutput: readonly ResponsesInputItem[], input: unknown): ResponsesInputItem[] {
  return [...inputItems(previousInput), ...previousOutput, ...inputItems(input)];
}

function responseShell(o: ResultIdentity, model: string, status: ResponseStatus): ResponseObject {
  return {
    id: o.id,
    object: 'response',
    created_at: o.created,
    status,
    error: null,
    incomplete_details: null,
    model,
    output: [],
    ...requestEcho(o.request ?? {}),
  };
}

/** What a `response` repeats of its request, with OpenAI's defaults for what the request left out. */
function requestEcho(b: Record<string, unknown>): RequestEcho {
  return {
    background: b.background === true,
    instructions: typeof b.instructions === 'string' ? b.instructions : null,
    max_output_tokens: typeof b.max_output_tokens === 'number' ? b.max_output_tokens : null,
    metadata: (b.metadata ?? {}) as Record<string, unknown>,
    parallel_tool_calls: b.parallel_tool_calls ?? true,
    previous_response_id: typeof b.previous_response_id === 'string' ? b.previous_response_id : null,
    reasoning: b.reasoning ?? null,
    store: b.store ?? true,
    temperature: typeof b.temperature === 'number' ? b.temperature : null,
    text: b.text ?? { format: { type: 'text' } },
    tool_choice: b.tool_choice ?? 'auto',
    tools: (b.tools ?? []) as unknown[],
    top_p: typeof b.top_p === 'number' ? b.top_p : null,
    truncation: b.truncation ?? 'disabled',
    ...(typeof b.user === 'string' ? { user: b.user } : {}),
  };
}

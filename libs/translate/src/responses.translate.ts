import { badRequest, type CanonicalMessage, type CanonicalRequest, type CanonicalResult, type FinishReason, type Role } from '@reqrun/contracts';
import { canonicalToFormat, formatToCanonical } from './output-format.js';
import { contentText, num, type ResultIdentity, type TextContent } from './shape-parts.js';

/** OpenAI Responses <-> canonical, both directions of request and result, and the `response` object itself. Pure. */

/** An input message item (`type` may be left out: OpenAI's "easy input message"). Output messages are valid input too. */
export interface ResponsesMessageItem {
  type?: 'message';
  role: 'user' | 'assistant' | 'system' | 'developer';
  content: TextContent;
  id?: string;
  status?: string;
}

/** Items other than messages (function calls, reasoning, ...): carried along, not translated yet. */
export type ResponsesInputItem = ResponsesMessageItem | { type: string; [k: string]: unknown };

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
  text?: { format?: Record<string, unknown> };
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
  return {
    model: b.model as string,
    ...(typeof b.instructions === 'string' && b.instructions !== '' ? { system: b.instructions } : {}),
    messages: inputItems(b.input).filter(isMessageItem).map(
      (i): CanonicalMessage => ({ role: (i.role === 'developer' ? 'system' : i.role) as Role, content: contentText(i.content) }),
    ),
    ...num('max_tokens', b.max_output_tokens),
    ...num('temperature', b.temperature),
    ...num('top_p', b.top_p),
    ...(b.metadata ? { metadata: b.metadata } : {}),
    ...(format ? { format } : {}),
  };
}

/**
 * Canonical -> a Responses request for a provider that speaks it: `system` becomes `instructions`, messages become
 * message items. The Responses API has no stop sequences, so `stop` cannot be sent; tool messages cannot be translated yet.
 */
export function canonicalToResponses(req: CanonicalRequest): ResponsesRequest {
  return {
    model: req.model,
    ...(req.system !== undefined ? { instructions: req.system } : {}),
    input: req.messages.map((m): ResponsesMessageItem => {
      if (m.role === 'tool') {
        throw badRequest('A tool message cannot be sent through the Responses API: ReqRun does not translate tool calls yet.', 'messages');
      }
      return { type: 'message', role: m.role, content: m.content };
    }),
    ...num('max_output_tokens', req.max_tokens),
    ...num('temperature', req.temperature),
    ...num('top_p', req.top_p),
    ...(req.metadata ? { metadata: req.metadata } : {}),
    ...(req.format ? { text: { format: canonicalToFormat(req.format, 'responses') } } : {}),
  };
}

/** A provider's `response` -> canonical result: the text of its output messages, why it ended, its usage. */
export function responseToCanonical(r: Pick<ResponseObject, 'model' | 'status' | 'output' | 'incomplete_details' | 'usage'>): CanonicalResult {
  const messages = r.output.filter(isMessageItem);
  let finish: FinishReason = 'stop';
  if (r.status === 'incomplete') finish = r.incomplete_details?.reason === 'content_filter' ? 'content_filter' : 'length';
  else if (r.output.some((i) => i.type === 'function_call')) finish = 'tool_calls';
  return {
    model: r.model,
    text: messages.map((m) => contentText(m.content)).join(''),
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
  return {
    ...responseShell(o, r.model, status),
    incomplete_details: cut ? { reason: cut } : null,
    output: [message],
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

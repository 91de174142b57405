import type { CanonicalRequest, CanonicalResult, CanonicalThinking, CanonicalToolCall, OutputFormat } from '@reqrun/contracts';
import { thinks } from './anthropic-options.js';

/** Rough token count (4 characters a token), the same everywhere ReqRun estimates. */
export const estimateTokens = (text: string): number => Math.max(1, Math.ceil(text.length / 4));

/**
 * The built-in mock provider's answer: built from the request alone, so it is the same for the same request.
 * Given tools (and a `tool_choice` other than `none`) and a user turn last, it calls one: the chosen one or the
 * first, with arguments that fit its parameters' schema. Otherwise it echoes the last user message, or the last
 * tool result when that came last (asked for JSON: as `{"reply": ...}`, or in every string of an instance of the
 * schema), ended by the first of the request's stop sequences it contains (which it then reports), and cut to
 * `max_tokens` (then finish_reason is 'length'). Asked to think (Anthropic's `thinking`), it thinks first: one
 * thinking block, `Mock thinking about: ...` (empty with `display: 'omitted'`, as Anthropic's), billed as output.
 */
export function mockAnswer(req: CanonicalRequest): CanonicalResult {
  const last = req.messages.at(-1);
  const lastUser = last?.role === 'tool' ? last.content : ([...req.messages].reverse().find((m) => m.role === 'user')?.content ?? '');
  const thinking = mockThinking(req, lastUser);
  const thought = thinking ? { thinking: [thinking] } : {};
  const thinkingTokens = thinking && thinking.thinking !== '' ? estimateTokens(thinking.thinking) : 0;
  const call = last?.role === 'user' ? mockToolCall(req, `Mock reply to: ${lastUser}`) : null;
  if (call) {
    return { model: req.model, text: '', tool_calls: [call], ...thought, finish_reason: 'tool_calls', usage: { input_tokens: mockInputTokens(req), output_tokens: thinkingTokens + estimateTokens(call.arguments) } };
  }
  let text = inFormat(`Mock reply to: ${lastUser}`, req.format);
  let finish: CanonicalResult['finish_reason'] = 'stop';
  const stop = firstStop(text, req.stop ?? []);
  if (stop) text = text.slice(0, stop.at);
  if (req.max_tokens !== undefined && estimateTokens(text) > req.max_tokens) {
    text = text.slice(0, req.max_tokens * 4);
    finish = 'length';
  }
  return {
    model: req.model,
    text,
    ...thought,
    finish_reason: finish,
    ...(stop && finish === 'stop' ? { stop_sequence: stop.sequence } : {}),
    usage: { input_tokens: mockInputTokens(req), output_tokens: thinkingTokens + estimateTokens(text) },
  };
}

/** The mock's thinking block when the request asks it to think; its signature is a fixed stand-in (nothing checks it). */
function mockThinking(req: CanonicalRequest, about: string): Extract<CanonicalThinking, { type: 'thinking' }> | null {
  const t = req.anthropic?.thinking;
  if (!thinks(t)) return null;
  const shown = !(t && 'display' in t && t.display === 'omitted');
  return { type: 'thinking', thinking: shown ? `Mock thinking about: ${about}` : '', signature: 'mock-signature' };
}

/** What the mock provider counts as the request's input: its system prompt and messages, estimated. */
export const mockInputTokens = (req: CanonicalRequest): number =>
  estimateTokens([...(req.system ? [req.system] : []), ...req.messages.map((m) => m.content)].join('\n'));

function firstStop(text: string, stops: string[]): { at: number; sequence: string } | null {
  let best: { at: number; sequence: string } | null = null;
  for (const sequence of stops) {
    const at = sequence === '' ? -1 : text.indexOf(sequence);
    if (at >= 0 && (!best || at < best.at)) best = { at, sequence };
  }
  return best;
}

function mockToolCall(req: CanonicalRequest, reply: string): CanonicalToolCall | null {
  const choice = req.tool_choice;
  if (!req.tools?.length || choice === 'none') return null;
  const tool = (typeof choice === 'object' ? req.tools.find((t) => t.name === choice.name) : undefined) ?? req.tools[0];
  const args = tool.parameters ? instanceOf(tool.parameters, reply, 0) : {};
  return { id: `call_mock${req.messages.length}`, name: tool.name, arguments: JSON.stringify(args) };
}

function inFormat(reply: string, f: OutputFormat | undefined): string {
  if (!f) return reply;
  return JSON.stringify(f.type === 'json_object' || !f.schema ? { reply } : instanceOf(f.schema, reply, 0));
}

/** A value the JSON Schema `s` accepts (its common keywords), every string being `text`. */
function instanceOf(s: unknown, text: string, depth: number): unknown {
  if (s === null || typeof s !== 'object' || Array.isArray(s) || depth > 16) return text;
  const schema = s as Record<string, any>;
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const choice = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(choice) && choice.length > 0) return instanceOf(choice[0], text, depth + 1);
  const type = Array.isArray(schema.type) ? (schema.type.find((t: unknown) => t !== 'null') ?? 'null') : schema.type;
  switch (type ?? (schema.properties ? 'object' : 'string')) {
    case 'object':
      return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, v]) => [k, instanceOf(v, text, depth + 1)]));
    case 'array':
      return schema.items ? [instanceOf(schema.items, text, depth + 1)] : [];
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 0;
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return text;
  }
}

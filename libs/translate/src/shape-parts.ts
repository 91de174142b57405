import type { CanonicalMessage, CanonicalRequest, CanonicalTool } from '@reqrun/contracts';

/** Pieces every API shape uses. Pure: ids, times and the request come in as arguments. */

export interface ResultIdentity {
  id: string;
  /** Epoch seconds. */
  created: number;
  /** The API request body as stored, for shapes whose result echoes it (a Responses `response` does). */
  request?: Record<string, unknown>;
}

/** Content as the three APIs send it: a string, or an array of parts/blocks of which only the text counts. */
export type TextContent = string | null | undefined | ReadonlyArray<{ type?: string; text?: string }>;

export function contentText(c: TextContent): string {
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) return c.map((p) => (typeof p?.text === 'string' ? p.text : '')).join('');
  return '';
}

/** `{ [k]: v }` when v is a number, else nothing: for optional numeric fields. */
export const num = (k: string, v: unknown): Record<string, number> => (typeof v === 'number' ? { [k]: v } : {});

/**
 * For APIs with one system prompt: the request's `system` joined with its leading system messages, and the
 * messages after them. System messages later in the conversation stay where they are.
 */
export function splitSystem(req: CanonicalRequest): { system?: string; messages: CanonicalMessage[] } {
  const firstTurn = req.messages.findIndex((m) => m.role !== 'system');
  const lead = firstTurn === -1 ? req.messages.length : firstTurn;
  const parts = [req.system, ...req.messages.slice(0, lead).map((m) => m.content)].filter((s): s is string => !!s);
  return { ...(parts.length > 0 ? { system: parts.join('\n\n') } : {}), messages: req.messages.slice(lead) };
}

/** A function tool as any of the three APIs describes it -> canonical; what is unset or null is left out. */
export function canonicalTool(t: { name: string; description?: unknown; parameters?: unknown; strict?: unknown }): CanonicalTool {
  return {
    name: t.name,
    ...(typeof t.description === 'string' ? { description: t.description } : {}),
    ...(t.parameters ? { parameters: t.parameters as Record<string, unknown> } : {}),
    ...(typeof t.strict === 'boolean' ? { strict: t.strict } : {}),
  };
}

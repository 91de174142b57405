import type { OutputFormat } from '@reqrun/contracts';

/**
 * The answer formats of chat's `response_format` and Responses' `text.format` <-> canonical. Chat nests a schema's
 * fields under `json_schema`; Responses puts them beside `type`. Pure.
 */

type Shape = 'chat' | 'responses';
type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** What is wrong with a requested format, or null when it can be honoured (absent and `text` included). */
export function outputFormatProblem(format: unknown, shape: Shape): string | null {
  if (format === undefined || format === null) return null;
  if (!isObject(format) || typeof format.type !== 'string') return 'must be an object with a type';
  if (format.type === 'text' || format.type === 'json_object') return null;
  if (format.type !== 'json_schema') return `of type '${format.type}' is not supported: use text, json_object or json_schema`;
  const s = shape === 'chat' ? format.json_schema : format;
  const at = shape === 'chat' ? 'json_schema.' : '';
  if (!isObject(s)) return 'of type json_schema needs json_schema: {name, schema}';
  if (typeof s.name !== 'string' || !NAME.test(s.name)) return `${at}name must be 1-64 letters, digits, '_' or '-'`;
  if (s.schema !== undefined && !isObject(s.schema)) return `${at}schema must be a JSON Schema object`;
  if (s.strict !== undefined && s.strict !== null && typeof s.strict !== 'boolean') return `${at}strict must be a boolean`;
  if (s.description !== undefined && typeof s.description !== 'string') return `${at}description must be a string`;
  return null;
}

/** A validated `response_format` (chat) or `text.format` (Responses) -> canonical; undefined for text. */
export function formatToCanonical(format: unknown, shape: Shape): OutputFormat | undefined {
  if (!isObject(format)) return undefined;
  if (format.type === 'json_object') return { type: 'json_object' };
  if (format.type !== 'json_schema') return undefined;
  const s = (shape === 'chat' ? format.json_schema : format) as Json;
  return {
    type: 'json_schema',
    name: s.name as string,
    ...(isObject(s.schema) ? { schema: s.schema } : {}),
    ...(typeof s.strict === 'boolean' ? { strict: s.strict } : {}),
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
  };
}

/** Canonical -> the format field in an API's shape. */
export function canonicalToFormat(f: OutputFormat, shape: Shape): Json {
  if (f.type === 'json_object') return { type: 'json_object' };
  const { type, ...schema } = f;
  return shape === 'chat' ? { type, json_schema: schema } : { type, ...schema };
}

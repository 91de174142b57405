import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * What is wrong with message content that ReqRun translates as text: a string, or an array of parts whose `type` is
 * one of `types` and which carry `text`. Null when nothing is. Other parts (images, files, tool calls) are refused
 * rather than dropped, so a model never answers a question it was not shown in full.
 */
export function textContentProblem(v: unknown, types: readonly string[]): string | null {
  if (typeof v === 'string') return null;
  if (!Array.isArray(v)) return 'must be a string or an array of content parts';
  for (const [i, p] of v.entries()) {
    if (p === null || typeof p !== 'object' || typeof p.type !== 'string') return `part ${i} must be an object with a type`;
    if (!types.includes(p.type)) return `part ${i} has type '${p.type}', which ReqRun cannot translate yet (send ${types.join(' or ')} parts)`;
    if (typeof p.text !== 'string') return `part ${i} must have a text string`;
  }
  return null;
}

/** class-validator decorator for `textContentProblem`; the message names the property and the bad part. */
export const IsTextContent = (types: readonly string[], o?: ValidationOptions) =>
  ValidateBy({
    name: 'isTextContent',
    validator: {
      validate: (v) => textContentProblem(v, types) === null,
      defaultMessage: (a) => `$property: ${textContentProblem(a?.value, types)}`,
    },
  }, o);

/**
 * What is wrong with a requested output format (chat's `response_format`, Responses' `text.format`): ReqRun
 * translates text only, so any other format (JSON mode, a JSON schema) is refused rather than silently ignored. Null
 * when it is plain text or absent (`format` undefined).
 */
export function textFormatProblem(format: unknown): string | null {
  if (format === undefined || format === null) return null;
  const type = (format as { type?: unknown })?.type;
  if (typeof format !== 'object' || Array.isArray(format) || typeof type !== 'string') return 'must be an object with a type';
  return type === 'text' ? null : `of type '${type}' cannot be honoured yet: ReqRun translates text only and would answer in free text. Leave it out or use type 'text'`;
}

/**
 * class-validator decorator for `textFormatProblem`, on the property itself or on the field `inner` of it (Responses'
 * `text.format`); the message names that field.
 */
export const IsTextFormat = (inner?: string, o?: ValidationOptions) => {
  const format = (v: any) => (inner ? v[inner] : v);
  const isObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
  return ValidateBy({
    name: 'isTextFormat',
    validator: {
      validate: (v) => isObject(v) && textFormatProblem(format(v)) === null,
      defaultMessage: (a) => (isObject(a?.value) ? `$property${inner ? `: ${inner}` : ''} ${textFormatProblem(format(a!.value))}` : '$property must be an object'),
    },
  }, o);
};

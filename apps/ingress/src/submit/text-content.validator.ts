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

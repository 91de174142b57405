import { imageUrlProblem } from '@reqrun/translate';
import { ValidateBy, type ValidationOptions } from 'class-validator';

/** An API's image part: its `type`, and where its URL is in it. */
export interface ImagePart {
  type: string;
  url: (part: any) => unknown;
}

/**
 * What is wrong with message content: a string, or an array of parts whose `type` is one of `types` and which carry
 * `text`, or images of `image`'s type (in user turns only: `imagesHere`). Null when nothing is. Other parts (files,
 * audio) are refused rather than dropped, so a model never answers a question it was not shown in full.
 */
export function textContentProblem(v: unknown, types: readonly string[], image?: ImagePart, imagesHere = true): string | null {
  if (typeof v === 'string') return null;
  if (!Array.isArray(v)) return 'must be a string or an array of content parts';
  for (const [i, p] of v.entries()) {
    if (p === null || typeof p !== 'object' || typeof p.type !== 'string') return `part ${i} must be an object with a type`;
    if (image && p.type === image.type) {
      if (!imagesHere) return `part ${i} is an image: images go in user turns only`;
      const url = imageUrlProblem(image.url(p));
      if (url) return `part ${i} (an image): its URL ${url}`;
      continue;
    }
    const known = image ? [...types, image.type] : types;
    if (!types.includes(p.type)) return `part ${i} has type '${p.type}', which ReqRun cannot translate yet (send ${known.join(' or ')} parts)`;
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

/** `IsTextContent` that also takes `image` parts, in user turns (the message's `role`) only. */
export const IsUserContent = (types: readonly string[], image: ImagePart, o?: ValidationOptions) => {
  const problem = (v: unknown, object: unknown) => textContentProblem(v, types, image, (object as { role?: unknown })?.role === 'user');
  return ValidateBy({
    name: 'isUserContent',
    validator: {
      validate: (v, a) => problem(v, a?.object) === null,
      defaultMessage: (a) => `$property: ${problem(a?.value, a?.object)}`,
    },
  }, o);
};

import type { CanonicalImage, CanonicalMessage, CanonicalPart } from '@reqrun/contracts';
import { contentText, type TextContent } from './shape-parts.js';

/** The image types every provider ReqRun translates for takes inline (Anthropic's list). */
export const INLINE_IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];

const DATA_URL = /^data:([a-z]+\/[a-z0-9.+-]+);base64,([A-Za-z0-9+/=\s]*)$/i;

/** A base64 data URL's media type and data; null for any other URL. */
export function parseDataUrl(url: string): { media_type: string; data: string } | null {
  const m = DATA_URL.exec(url);
  return m ? { media_type: m[1].toLowerCase(), data: m[2] } : null;
}

export const dataUrl = (media_type: string, data: string): string => `data:${media_type};base64,${data}`;

/** The text of parts, joined (what `content` holds beside `parts`). */
export const partsText = (parts: readonly CanonicalPart[]): string => parts.map((p) => (p.type === 'text' ? p.text : '')).join('');

/**
 * A turn's content (a string, or parts) -> its text, and its parts in order when one of them is an image. `image`
 * reads a part as an image in its API's shape, or answers null for a part that is not one (its text then counts).
 */
export function turnOf(content: TextContent, image: (part: any) => CanonicalImage | null): Pick<CanonicalMessage, 'content' | 'parts'> {
  if (!Array.isArray(content) || !content.some((p) => image(p))) return { content: contentText(content) };
  const parts = content.map((p): CanonicalPart => image(p) ?? { type: 'text', text: p?.text ?? '' });
  return { content: partsText(parts), parts };
}

/** What is wrong with an image URL a caller sent (a base64 data URL of an inline type, or http(s)), or null. */
export function imageUrlProblem(url: unknown): string | null {
  if (typeof url !== 'string' || url === '') return 'must be an http(s) URL or a base64 data URL';
  if (/^https?:\/\//i.test(url)) return null;
  const inline = parseDataUrl(url);
  if (!inline) return 'must be an http(s) URL or a base64 data URL (data:image/png;base64,...)';
  return INLINE_IMAGE_TYPES.includes(inline.media_type) ? null : `has type ${inline.media_type}; inline images must be one of ${INLINE_IMAGE_TYPES.join(', ')}`;
}

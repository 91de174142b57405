import { badRequest } from '@reqrun/contracts';

/** Anthropic's list paging: `limit` (1–1000, 20 unless told), then the items after `after_id` or just before `before_id`. */
export interface AnthropicPageQuery {
  limit: number;
  after_id?: string;
  before_id?: string;
}

/** Reads Anthropic's paging parameters from a query, refusing values they cannot mean; other parameters are left alone. */
export function readAnthropicPageQuery(q: Record<string, unknown> = {}): AnthropicPageQuery {
  const { limit, after_id, before_id } = q;
  const n = limit === undefined ? 20 : typeof limit === 'string' && /^\d{1,9}$/.test(limit) ? Number(limit) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw badRequest('limit: expected an integer from 1 to 1000.', 'limit');
  const cursor = (v: unknown, name: string) => {
    if (v !== undefined && (typeof v !== 'string' || v === '')) throw badRequest(`${name}: expected an id from an earlier page.`, name);
    return v as string | undefined;
  };
  const after = cursor(after_id, 'after_id');
  const before = cursor(before_id, 'before_id');
  return { limit: n, ...(after !== undefined ? { after_id: after } : {}), ...(before !== undefined ? { before_id: before } : {}) };
}

/** Anthropic's list shape: `{data, has_more, first_id, last_id}`. */
export const anthropicList = <T extends { id: string }>(data: T[], has_more: boolean) => ({ data, has_more, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });

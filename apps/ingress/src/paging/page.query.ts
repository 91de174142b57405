import { badRequest } from '@reqrun/contracts';

/** OpenAI's cursor page: `after` (the last id of the page before), `limit` (within the list's PageBounds), `order` (newest first by default). */
export interface PageQuery {
  after?: string;
  limit: number;
  order: 'asc' | 'desc';
}

/** How many items one page may hold, and holds when `limit` is not given: OpenAI's 100 and 20 for most lists. */
export interface PageBounds {
  max: number;
  default: number;
}

/**
 * Reads the paging parameters, refusing values they cannot mean; other parameters are left to the caller. Values
 * come as strings from an HTTP query, and `limit` as a number too from a JSON body (the NATS-native API).
 */
export function readPageQuery(q: Record<string, unknown>, bounds: PageBounds = { max: 100, default: 20 }): PageQuery {
  const { after, limit, order } = q ?? {};
  if (after !== undefined && (typeof after !== 'string' || after === '')) throw badRequest("'after' must be an id from an earlier page.", 'after');
  const n = typeof limit === 'string' && /^\d{1,9}$/.test(limit) ? Number(limit) : limit;
  if (n !== undefined && (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > bounds.max)) {
    throw badRequest(`'limit' must be a whole number from 1 to ${bounds.max}.`, 'limit');
  }
  if (order !== undefined && order !== 'asc' && order !== 'desc') throw badRequest("'order' must be asc or desc.", 'order');
  return { ...(after !== undefined ? { after } : {}), limit: n ?? bounds.default, order: order ?? 'desc' };
}

import type { PageQuery } from './page.query.js';

/** OpenAI's list shape for a cursor page. */
export interface ListPage<T> {
  object: 'list';
  data: T[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

/** A page in OpenAI's list shape: its items, the ids they start and end at, and whether more follow. */
export const openAIList = <T extends { id: string }>(data: T[], has_more: boolean): ListPage<T> =>
  ({ object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more });

/**
 * One page of a list held whole: `ordered` is already in the order asked for (`q.order`), the page starts after the
 * item `q.after` names; an `after` that is not in the list is refused with `unknownAfter`'s error.
 */
export function pageOf<T extends { id: string }>(ordered: readonly T[], q: PageQuery, unknownAfter: (after: string) => Error): ListPage<T> {
  let start = 0;
  if (q.after !== undefined) {
    const at = ordered.findIndex((item) => item.id === q.after);
    if (at < 0) throw unknownAfter(q.after);
    start = at + 1;
  }
  return openAIList(ordered.slice(start, start + q.limit), start + q.limit < ordered.length);
}

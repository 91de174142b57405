import { badRequest, type RequestRecord } from '@reqrun/contracts';
import { pageOf, type ListPage } from '../paging/list.page.js';
import type { PageQuery } from '../paging/page.query.js';
import { inputItems, type ResponsesInputItem } from '@reqrun/translate';

/** An input item as OpenAI lists it: an id, and message content as a list of parts. */
type ListedItem = Record<string, unknown> & { id: string };

export type InputItemList = ListPage<ListedItem>;

/**
 * One page of the input a response was made from (for a chained response: the whole conversation it was given,
 * as stored). Items the caller sent without an id get one derived from the response id and their position, so the
 * same item has the same id on every read and `after` can point at it.
 */
export function inputItemsPage(r: RequestRecord, q: PageQuery): InputItemList {
  const all = inputItems(r.body.input).map((item, i) => listed(item, `${r.id.replace(/^rr_/, 'msg_')}_${i}`));
  return pageOf(q.order === 'asc' ? all : all.reverse(), q,
    (after) => badRequest(`No input item '${after}' in response ${r.id}; 'after' must be an item id from an earlier page.`, 'after'));
}

function listed(item: ResponsesInputItem, id: string): ListedItem {
  const withId = { ...item, id: typeof item.id === 'string' && item.id !== '' ? item.id : id } as ListedItem;
  if (item.type !== undefined && item.type !== 'message') return withId;
  const role = (item as { role?: string }).role;
  const content = (item as { content?: unknown }).content;
  const parts = typeof content === 'string' ? [role === 'assistant' ? { type: 'output_text', text: content, annotations: [] } : { type: 'input_text', text: content }] : content;
  return { ...withId, type: 'message', status: (item as { status?: string }).status ?? 'completed', content: parts };
}

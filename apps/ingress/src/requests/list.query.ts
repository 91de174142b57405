import { badRequest, Status, windowAliases, type Window } from '@reqrun/contracts';
import { readPageQuery, type PageQuery } from '../paging/page.query.js';

/** `GET /v1/requests`' query: a cursor page, and filters on status, completion window and model. */
export interface ListQuery extends PageQuery {
  status?: Status;
  window?: Window;
  model?: string;
}

const STATUSES: readonly string[] = Object.values(Status);

/** Reads the query, refusing values it cannot mean; other parameters are left alone. */
export function readListQuery(q: Record<string, unknown>): ListQuery {
  const page = readPageQuery(q);
  const { status, completion_window: window, model } = q ?? {};
  if (status !== undefined && (typeof status !== 'string' || !STATUSES.includes(status))) {
    throw badRequest(`'status' must be one of ${STATUSES.join(', ')}.`, 'status');
  }
  if (window !== undefined && (typeof window !== 'string' || !Object.hasOwn(windowAliases, window))) {
    throw badRequest("'completion_window' must be asap, standard or batch.", 'completion_window');
  }
  if (model !== undefined && (typeof model !== 'string' || model === '')) throw badRequest("'model' must be a model name.", 'model');
  return {
    ...page,
    ...(status !== undefined ? { status: status as Status } : {}),
    ...(window !== undefined ? { window: windowAliases[window as string] } : {}),
    ...(model !== undefined ? { model: model as string } : {}),
  };
}

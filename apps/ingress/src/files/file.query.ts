import { badRequest } from '@reqrun/contracts';
import { readPageQuery, type PageQuery } from '../paging/page.query.js';

/** `GET /v1/files`' query: a cursor page (up to 10,000 files, all by default, as OpenAI) and the files' purpose. */
export interface FileListQuery extends PageQuery {
  purpose?: string;
}

/** The purposes OpenAI's Files API knows (ReqRun stores `batch` and `batch_output`; the others list nothing). */
const PURPOSES: readonly string[] = ['assistants', 'assistants_output', 'batch', 'batch_output', 'fine-tune', 'fine-tune-results', 'vision', 'user_data', 'evals'];

/** Reads the query, refusing values it cannot mean; other parameters are left alone. */
export function readFileListQuery(q: Record<string, unknown>): FileListQuery {
  const page = readPageQuery(q, { max: 10_000, default: 10_000 });
  const purpose = q?.purpose;
  if (purpose !== undefined && (typeof purpose !== 'string' || !PURPOSES.includes(purpose))) {
    throw badRequest(`'purpose' must be one of ${PURPOSES.join(', ')}.`, 'purpose');
  }
  return { ...page, ...(purpose !== undefined ? { purpose } : {}) };
}

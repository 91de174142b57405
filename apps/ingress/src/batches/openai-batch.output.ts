import type { ReqRunError } from '@reqrun/contracts';
import { derivedId } from '@reqrun/store';
import { openAIErrorBody } from '@reqrun/translate';
import type { ApiEdge } from '../submit/api-edge.js';
import { answerOf } from '../submit/answer.js';
import type { BatchEnding } from './batch.output.js';
import type { EndedLine } from './batch.lines.js';

/**
 * A line's row in OpenAI's output or error file: a completed line, with the answer exactly as the endpoint returns
 * it, in the output file (`output: true`); the rest in the error file (the error answer of a failed or refused line,
 * or `error` alone for a line the batch's cancel or expiry stopped).
 */
export function openAIBatchRow(batchId: string, { index, custom_id, outcome: o }: EndedLine, ending: BatchEnding, edge: ApiEdge): { output: boolean; row: unknown } {
  const base = { id: `batch_req_${derivedId(batchId, `line:${index}`, 32)}`, custom_id };
  if (o.kind === 'refused') return { output: false, row: { ...base, response: { status_code: o.error.status, request_id: null, body: openAIErrorBody(o.error) }, error: null } };
  if (o.kind === 'gone') return { output: false, row: { ...base, response: null, error: { code: 'request_not_found', message: `The request ${o.requestId} of this line is gone.` } } };
  if (o.kind === 'stopped') {
    const message = ending === 'expired' ? 'The batch expired before this request finished.' : 'The batch was cancelled before this request finished.';
    return { output: false, row: { ...base, response: null, error: { code: `batch_${ending}`, message } } };
  }
  try {
    return { output: true, row: { ...base, response: { status_code: 200, request_id: o.record.id, body: answerOf(o.record, edge).body }, error: null } };
  } catch (err) {
    const x = err as ReqRunError;
    return { output: false, row: { ...base, response: { status_code: x.status, request_id: o.record.id, body: openAIErrorBody(x) }, error: null } };
  }
}

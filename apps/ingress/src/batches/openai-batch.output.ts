import type { ReqRunError } from '@reqrun/contracts';
import { derivedId } from '@reqrun/store';
import { openAIErrorBody } from '@reqrun/translate';
import type { ApiEdge } from '../submit/api-edge.js';
import { answerOf } from '../submit/answer.js';
import type { BatchEnding } from './batch.output.js';
import type { EndedLine } from './batch.lines.js';

/**
 * OpenAI's output and error files' rows: a completed line, with the answer exactly as the endpoint returns it, in
 * the output file; the rest in the error file (the error answer of a failed or refused line, or `error` alone for a
 * line the batch's cancel or expiry stopped).
 */
export function openAIBatchRows(batchId: string, lines: EndedLine[], ending: BatchEnding, edge: ApiEdge): { out: unknown[]; errors: unknown[] } {
  const out: unknown[] = [];
  const errors: unknown[] = [];
  const stopped = { code: `batch_${ending}`, message: ending === 'expired' ? 'The batch expired before this request finished.' : 'The batch was cancelled before this request finished.' };
  for (const { index, custom_id, outcome: o } of lines) {
    const base = { id: `batch_req_${derivedId(batchId, `line:${index}`, 32)}`, custom_id };
    if (o.kind === 'refused') {
      errors.push({ ...base, response: { status_code: o.error.status, request_id: null, body: openAIErrorBody(o.error) }, error: null });
    } else if (o.kind === 'gone') {
      errors.push({ ...base, response: null, error: { code: 'request_not_found', message: `The request ${o.requestId} of this line is gone.` } });
    } else if (o.kind === 'stopped') {
      errors.push({ ...base, response: null, error: stopped });
    } else {
      try {
        out.push({ ...base, response: { status_code: 200, request_id: o.record.id, body: answerOf(o.record, edge).body }, error: null });
      } catch (err) {
        const x = err as ReqRunError;
        errors.push({ ...base, response: { status_code: x.status, request_id: o.record.id, body: openAIErrorBody(x) }, error: null });
      }
    }
  }
  return { out, errors };
}

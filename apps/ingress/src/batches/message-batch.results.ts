import { Status, type ReqRunError } from '@reqrun/contracts';
import type { ResultCounts } from '@reqrun/store';
import { anthropicErrorBody } from '@reqrun/translate';
import type { ApiEdge } from '../submit/api-edge.js';
import { answerOf } from '../submit/answer.js';
import type { BatchEnding } from './batch.output.js';
import type { EndedLine } from './batch.lines.js';

type Result =
  | { type: 'succeeded'; message: unknown }
  | { type: 'errored'; error: ReturnType<typeof anthropicErrorBody> }
  | { type: 'canceled' }
  | { type: 'expired' };

/**
 * An Anthropic Message Batch's results file rows, in input order: `{custom_id, result}`, the result `succeeded` with
 * the Messages answer, `errored` with Anthropic's error body (a refused line's has no request id), or `canceled` /
 * `expired` for a line the batch's cancel or expiry stopped (or whose own request was cancelled or expired).
 */
export function messageBatchRows(lines: EndedLine[], ending: BatchEnding, edge: ApiEdge): { rows: unknown[]; counts: ResultCounts } {
  const counts: ResultCounts = { succeeded: 0, errored: 0, canceled: 0, expired: 0 };
  const stopped: Result = ending === 'expired' ? { type: 'expired' } : { type: 'canceled' };
  const rows = lines.map(({ custom_id, outcome: o }) => {
    let result: Result;
    if (o.kind === 'refused') result = { type: 'errored', error: anthropicErrorBody(o.error) };
    else if (o.kind === 'gone') result = { type: 'errored', error: anthropicErrorBody({ status: 404, code: 'request_not_found', message: `The request ${o.requestId} of this line is gone.` }) };
    else if (o.kind === 'stopped') result = stopped;
    else if (o.record.status === Status.Cancelled) result = { type: 'canceled' };
    else if (o.record.status === Status.Expired) result = { type: 'expired' };
    else {
      try {
        result = { type: 'succeeded', message: answerOf(o.record, edge).body };
      } catch (err) {
        result = { type: 'errored', error: anthropicErrorBody(err as ReqRunError, o.record.id) };
      }
    }
    counts[result.type]++;
    return { custom_id, result };
  });
  return { rows, counts };
}

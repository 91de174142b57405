import { ErrorCode, Status, type RequestRecord } from '@reqrun/contracts';
import { responseWithoutOutput, type ResponseObject } from '@reqrun/translate';

/** Epoch ms -> epoch seconds, as the Responses API shows times. */
const seconds = (ms: number | undefined): number | null => (ms === undefined ? null : Math.floor(ms / 1000));

/**
 * A request made through the Responses API as a `response` object, whatever its state: the stored result once
 * completed (status `completed`, or `incomplete` when cut), else the request echoed with no output. `expired` is
 * `failed` with the error code saying so.
 */
export function responseView(r: RequestRecord): ResponseObject {
  if (r.status === Status.Completed && r.result) return { ...(r.result as ResponseObject), completed_at: seconds(r.ended_at) };
  const o = { id: r.id, created: seconds(r.created_at)!, request: r.body };
  switch (r.status) {
    case Status.Failed:
    case Status.Expired:
      return { ...responseWithoutOutput(o, r.model, 'failed', { code: r.error?.code ?? ErrorCode.UpstreamError, message: r.error?.message ?? 'The request failed.' }), completed_at: null };
    case Status.Cancelled:
      return { ...responseWithoutOutput(o, r.model, 'cancelled'), completed_at: null };
    case Status.InProgress:
      return { ...responseWithoutOutput(o, r.model, 'in_progress'), completed_at: null };
    default:
      return { ...responseWithoutOutput(o, r.model, 'queued'), completed_at: null };
  }
}

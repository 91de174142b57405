import { ErrorCode, ReqRunError, Status, type RequestRecord } from '@reqrun/contracts';
import type { FastifyReply } from 'fastify';
import type { ApiEdge } from './api-edge.js';

/**
 * How a create call answers once it stopped waiting: the API's own object when finished (200), its error when it
 * failed, or the async shape (202 + Location) while it still runs. Every answer carries x-request-id.
 */
export function answer(r: RequestRecord, reply: FastifyReply, shape: Pick<ApiEdge, 'finished' | 'pending'>): unknown {
  void reply.header('x-request-id', r.id);
  switch (r.status) {
    case Status.Completed:
      void reply.status(200);
      return shape.finished ? shape.finished(r) : r.result;
    case Status.Failed:
    case Status.Expired:
      throw new ReqRunError(r.error?.code ?? ErrorCode.UpstreamError, r.error?.message ?? 'The request failed.', r.error?.status ?? 502);
    case Status.Cancelled:
      throw new ReqRunError(ErrorCode.Cancelled, `Request ${r.id} was cancelled.`, 409);
    default:
      void reply.status(202).header('location', `/v1/requests/${r.id}`);
      return shape.pending(r);
  }
}

/** Aborts when the caller hangs up, so a waiter stops waiting for nobody. */
export function hangUpSignal(reply: FastifyReply): AbortSignal {
  const ctl = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) ctl.abort();
  });
  return ctl.signal;
}

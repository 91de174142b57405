import { ErrorCode, ReqRunError, Status, type RequestRecord } from '@reqrun/contracts';
import type { FastifyReply } from 'fastify';
import type { ApiEdge } from './api-edge.js';

/** A create call's answer, whatever carries it (HTTP, or the NATS-native API's reply). */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/**
 * How a create call answers once it stopped waiting: the API's own object when finished (200), its error when it
 * failed (thrown, to be rendered in the API's envelope), or the async shape (202 + Location) while it still runs.
 * Every answer carries x-request-id.
 */
export function answerOf(r: RequestRecord, shape: Pick<ApiEdge, 'finished' | 'pending'>): Answer {
  switch (r.status) {
    case Status.Completed:
      return { status: 200, headers: { 'x-request-id': r.id }, body: shape.finished ? shape.finished(r) : r.result };
    case Status.Failed:
    case Status.Expired:
      throw new ReqRunError(r.error?.code ?? ErrorCode.UpstreamError, r.error?.message ?? 'The request failed.', r.error?.status ?? 502);
    case Status.Cancelled:
      throw new ReqRunError(ErrorCode.Cancelled, `Request ${r.id} was cancelled.`, 409);
    default:
      return { status: 202, headers: { 'x-request-id': r.id, location: `/v1/requests/${r.id}` }, body: shape.pending(r) };
  }
}

/** `answerOf` on an HTTP reply (x-request-id is set before an error is thrown, so its envelope can name the request). */
export function answer(r: RequestRecord, reply: FastifyReply, shape: Pick<ApiEdge, 'finished' | 'pending'>): unknown {
  void reply.header('x-request-id', r.id);
  const a = answerOf(r, shape);
  void reply.status(a.status).headers(a.headers);
  return a.body;
}

/** Aborts when the caller hangs up, so a waiter stops waiting for nobody; already aborted if it hung up before this was asked. */
export function hangUpSignal(reply: FastifyReply): AbortSignal {
  const ctl = new AbortController();
  const gone = () => {
    if (!reply.raw.writableFinished) ctl.abort();
  };
  if (reply.raw.closed) gone();
  else reply.raw.once('close', gone);
  return ctl.signal;
}

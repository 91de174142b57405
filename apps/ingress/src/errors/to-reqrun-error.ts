import { HttpException } from '@nestjs/common';
import { ErrorCode, ReqRunError } from '@reqrun/contracts';
import { isNatsUnavailable } from '@reqrun/messaging';

/**
 * Every error a request can meet, as a ReqRunError: ours pass through; the framework's (body parsing, unknown
 * routes) are translated by status; anything else is our fault, a 500 that shows no internals.
 */
export function toReqRunError(e: unknown): ReqRunError {
  if (e instanceof ReqRunError) return e;
  const status = e instanceof HttpException ? e.getStatus() : (e as { statusCode?: unknown })?.statusCode;
  const message = (e as Error)?.message ?? '';
  switch (status) {
    case 400:
      return new ReqRunError(ErrorCode.InvalidJson, `We could not parse the JSON body of your request (${message}).`, 400);
    case 404:
      return new ReqRunError(ErrorCode.NotFound, message.replace(/^Cannot /, 'Unknown request URL: '), 404);
    case 413:
      return new ReqRunError(ErrorCode.BodyTooLarge, 'The request body is larger than this server accepts.', 413);
    case 415:
      return new ReqRunError(ErrorCode.UnsupportedMediaType, "Send the body as JSON with 'Content-Type: application/json'.", 415);
  }
  if (typeof status === 'number' && status > 400 && status < 500) return new ReqRunError(ErrorCode.InvalidRequest, message, status);
  if (isNatsUnavailable(e)) return unavailable(e);
  return new ReqRunError(ErrorCode.Internal, 'The server had an error while processing your request.', 500, null, { cause: e });
}

export const unavailable = (cause?: unknown) =>
  new ReqRunError(ErrorCode.Unavailable, 'ReqRun cannot reach NATS right now. Try again in a few seconds (with the same Idempotency-Key, to be safe).', 503, null, { cause });

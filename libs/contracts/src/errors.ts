/** Errors are typed where they arise and rendered once, in each API's own envelope. */
export const ErrorCode = {
  InvalidJson: 'invalid_json',
  InvalidRequest: 'invalid_request_error',
  UnsupportedMediaType: 'unsupported_media_type',
  ModelNotFound: 'model_not_found',
  InvalidWindow: 'invalid_completion_window',
  BodyTooLarge: 'request_too_large',
  NotFound: 'not_found',
  IdempotencyKeyReused: 'idempotency_key_reused',
  NotCancellable: 'not_cancellable',
  Unauthorized: 'invalid_api_key',
  QueueFull: 'queue_full',
  UpstreamError: 'upstream_error',
  UpstreamRejected: 'upstream_rejected',
  Cancelled: 'request_cancelled',
  Expired: 'request_expired',
  Unavailable: 'service_unavailable',
  Internal: 'internal_error',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class ReqRunError extends Error {
  constructor(
    /** One of ErrorCode, or a provider's own code passed on. */
    readonly code: ErrorCode | (string & {}),
    message: string,
    readonly status: number,
    readonly param: string | null = null,
    o?: ErrorOptions,
  ) {
    super(message, o);
    this.name = new.target.name;
  }
}

export const badRequest = (message: string, param: string | null = null, code: ErrorCode = ErrorCode.InvalidRequest) =>
  new ReqRunError(code, message, 400, param);

export const notFound = (what: string) => new ReqRunError(ErrorCode.NotFound, `No request found with id '${what}'.`, 404);

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
  /** `previous_response_id` names a response that has not completed (yet): there is nothing to continue from. */
  PreviousResponseNotCompleted: 'previous_response_not_completed',
  Unauthorized: 'invalid_api_key',
  MissingApiKey: 'missing_api_key',
  /** The tenant's configuration does not allow this model or completion window (403). */
  ModelNotAllowed: 'model_not_allowed',
  WindowNotAllowed: 'completion_window_not_allowed',
  /** A JSON body nested deeper than ReqRun reads. */
  TooDeep: 'json_too_deep',
  QueueFull: 'queue_full',
  UpstreamError: 'upstream_error',
  UpstreamRejected: 'upstream_rejected',
  Cancelled: 'request_cancelled',
  Expired: 'request_expired',
  Unavailable: 'service_unavailable',
  /** The request's submission was queued but its record never stored (its ingress stopped between the two): abandoned. */
  NotStored: 'request_not_stored',
  Internal: 'internal_error',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class ReqRunError extends Error {
  /** Seconds the caller should wait before trying again (sent as `retry-after`), when that is known. */
  retryAfterS?: number;

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

export const notFound = (id: string, what = 'request', param: string | null = null) =>
  new ReqRunError(ErrorCode.NotFound, `No ${what} found with id '${id}'.`, 404, param);

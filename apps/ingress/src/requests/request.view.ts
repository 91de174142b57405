import type { RequestRecord } from '@reqrun/contracts';

const s = (ms: number | undefined) => (ms === undefined ? null : Math.floor(ms / 1000));

/** The ReqRun view of any request: status, attempts and their history, usage, and the result in its API's shape. */
export function requestView(r: RequestRecord) {
  return {
    id: r.id,
    object: 'request',
    api: r.api,
    status: r.status,
    model: r.model,
    completion_window: r.window,
    created_at: s(r.created_at),
    started_at: s(r.started_at),
    completed_at: s(r.ended_at),
    next_attempt_at: s(r.not_before),
    attempts: r.attempts,
    history: r.history.map((h) => ({
      attempt: h.attempt,
      provider: h.provider,
      model: h.provider_model,
      started_at: s(h.started_at),
      ended_at: s(h.ended_at),
      latency_ms: h.latency_ms ?? null,
      /** The provider's HTTP status; null when it never answered (network error, timeout) or is not HTTP (mock). */
      status_code: h.status_code ?? null,
      /** How long the provider asked to wait before it is called again (retry-after), ms. */
      retry_after_ms: h.retry_after_ms ?? null,
      outcome: h.outcome,
      /** Why the attempt failed, as a class: upstream_rate_limited, upstream_timeout, upstream_unreachable, ... */
      error_class: h.error?.code ?? null,
      error: h.error ? { code: h.error.code, message: h.error.message } : null,
    })),
    usage: r.usage ?? null,
    /** The model's price times the window's multiplier (`cost.window`, `cost.multiplier`); null when the model has no price. */
    cost: r.cost ?? null,
    result: r.result ?? null,
    error: r.error ? { code: r.error.code, message: r.error.message } : null,
  };
}

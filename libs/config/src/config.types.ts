import type { BreakerPolicy, RetryPolicy } from '@reqrun/contracts';
import type { NatsAuth } from '@reqrun/messaging';

/** The typed shape of reqrun.yaml after defaults are applied. */
/** Plus how to authenticate and secure the connection (user/password, token, nkey, creds, TLS): see NatsAuth. */
export interface NatsConfig extends NatsAuth {
  url: string;
  /** Replicas for streams and buckets (1 on one node, 3 on a cluster). */
  replicas: number;
  /** Prefix of every subject, stream and bucket. */
  prefix: string;
  /** A work item not acked (nor heartbeated) for this long is redelivered: how fast a crashed worker's work moves on. */
  ack_wait_ms: number;
}

export interface WindowConfig {
  /** Multiplier on the model's price for requests run on this window (1 = list price). */
  price: number;
  /** Target time to start, seconds after acceptance (the deadline earliest-deadline-first orders by; 0 = at once). */
  target_s: number;
  /** A request not started this many seconds after acceptance is `expired`. Default: twice the target (asap: 1 h). */
  expire_s: number;
  /** A request is promoted (full share, asap lane) this many seconds before its target. Default: a tenth of the target. */
  promote_s: number;
  /** Fraction (0-1) of any rate limit a request of this window may use before it is promoted: the rest is kept for the windows before it. asap 1, standard 0.8, batch 0.5. */
  share: number;
}

/** Absent = unlimited. rpm/tpm count over `period_s` (60 unless told; tests shorten it). */
export interface RateLimits {
  rpm?: number;
  tpm?: number;
  concurrency?: number;
  period_s?: number;
}

export interface ProviderConfig {
  name: string;
  type: 'mock' | 'openai' | 'anthropic';
  /** Required for openai and anthropic; no trailing slash (`https://api.openai.com/v1`, `https://api.anthropic.com`). */
  base_url?: string;
  /** Name of the env var holding the API key (read by the adapters only); none for local servers without auth. */
  api_key_env?: string;
  /** Header the key goes in: `authorization` (default for openai, as `Bearer <key>`), `x-api-key` (anthropic), `api-key` (Azure). */
  api_key_header?: string;
  /** Extra headers on every call (e.g. `OpenAI-Organization`). */
  headers?: Record<string, string>;
  /** Extra query parameters on every call (e.g. Azure's `api-version`). */
  query?: Record<string, string>;
  /** openai only: send Responses API requests to the provider's `/responses` instead of translating them to chat. */
  responses_api?: boolean;
  /** openai only: the chat field for the token cap; `max_tokens` for servers without `max_completion_tokens` (Ollama, LM Studio). */
  max_tokens_field?: 'max_completion_tokens' | 'max_tokens';
  /** anthropic only: the `anthropic-version` header. */
  anthropic_version?: string;
  /** Concurrent calls one adapter process makes to this provider. */
  concurrency: number;
  /** Per-attempt timeout of one provider call, ms. */
  timeout_ms: number;
  /** Shared by every scheduler: dispatches per period, tokens per period (reserved before, reconciled after), calls at once. */
  limits?: RateLimits;
}

export interface ModelTarget {
  provider: string;
  /** Model name the provider knows; defaults to the public name. */
  model?: string;
  weight: number;
  fallback: boolean;
  /**
   * Limits of the provider's model (providers limit each model apart): shared by every target that names the same
   * provider and model, which must then give the same limits. On top of the provider's own `limits`.
   */
  limits?: RateLimits;
}

export interface ModelConfig {
  targets: ModelTarget[];
  price?: { input_per_mtok: number; output_per_mtok: number };
}


/** An API key, stored as the SHA-256 hex of the key, or read from an env var at start (for secrets managers). */
export interface TenantKey {
  sha256?: string;
  env?: string;
}

/** Absent = unlimited. `period_s` is the window rpm/tpm count over (60 unless told; tests shorten it). */
export interface TenantLimits extends RateLimits {
  /** Requests waiting to start (all windows); one more is a 429 with retry-after. */
  max_queued?: number;
}

export interface WebhookConfig {
  url: string;
  /** Env var holding the `whsec_…` signing secret. */
  secret_env: string;
  /** Event types delivered; all when absent. */
  events?: string[];
}

/** How webhooks are delivered (the endpoints themselves are per tenant: `tenants[].webhooks`). */
export interface WebhookDeliveryConfig {
  /** Allow endpoints whose address resolves to a private, loopback or link-local network (off: refused, not retried). */
  allow_private: boolean;
  /** Keep retrying a delivery this long after its first attempt, seconds (24 h). */
  max_age_s: number;
  /** Per attempt: the endpoint must answer within this, ms. */
  timeout_ms: number;
  /** Backoff between attempts: exponential from base, capped at max (a `retry-after` is honoured up to max_age). */
  base_delay_ms: number;
  max_delay_ms: number;
  /** Events delivered at once per adapters process. */
  concurrency: number;
}

/** How the Batch API runs batches (in the ingress). */
export interface BatchesConfig {
  /** How often a running batch looks at its unfinished lines at first, ms; the interval grows to a minute while nothing else happens. */
  poll_ms: number;
  /** A batch's completion window, seconds: what has not finished by then is cancelled and the batch expires (OpenAI's `24h`). */
  window_s: number;
  /** Lines of one batch submitted at once during its fan-out. */
  submit_concurrency: number;
}

export interface TenantConfig {
  /** Letters, digits, '-' and '_': it is used in KV keys and subjects. */
  name: string;
  keys: TenantKey[];
  limits: TenantLimits;
  /** Public model names this tenant may use; all when absent. */
  models?: string[];
  /** Completion windows this tenant may use; all when absent. */
  windows?: ('asap' | 'standard' | 'batch')[];
  webhooks: WebhookConfig[];
}

export interface HttpConfig {
  host: string;
  port: number;
  /** Largest request body accepted, bytes. */
  body_limit: number;
  /** Processes of this app on this host, all serving its one port (node:cluster); each is a replica. */
  workers: number;
}

export interface WaitConfig {
  /** Default wait for `wait: true`, seconds. */
  default_s: number;
  /** Cap on `wait_timeout` / `Prefer: wait=N`, seconds. */
  max_s: number;
  /** Wait for requests without a `wait` field (the SDKs' own timeout), seconds. */
  sync_s: number;
}

export interface StreamingConfig {
  /** A client that hangs up on a stream (`stream: true`) cancels its request; off: the request finishes and stays readable by id. */
  cancel_on_disconnect: boolean;
  /** An open stream with nothing to send gets a keep-alive this often, seconds (an SSE comment, or Anthropic's `ping`). */
  keepalive_s: number;
}

export interface Config {
  nats: NatsConfig;
  http: { ingress: HttpConfig; scheduler: HttpConfig; adapters: HttpConfig };
  log: { level: string };
  wait: WaitConfig;
  streaming: StreamingConfig;
  idempotency: { ttl_s: number };
  /** How long a request record stays readable (GET by id) after its last change, seconds; 0 = for ever. */
  requests: { ttl_s: number };
  /** Uploads (`POST /v1/files`): the largest file accepted, bytes (OpenAI's limit for a batch's input, 200 MiB). */
  files: { max_bytes: number };
  windows: Record<'asap' | 'standard' | 'batch', WindowConfig>;
  providers: ProviderConfig[];
  models: Record<string, ModelConfig>;
  retry: RetryPolicy;
  /** Per provider: failures in a row that make the scheduler route around it, and for how long. */
  breaker: BreakerPolicy;
  /** None = development mode: one open tenant, and a loud warning. */
  tenants: TenantConfig[];
  webhooks: WebhookDeliveryConfig;
  batches: BatchesConfig;
}

/** What a YAML file may say: every field optional, defaults fill the rest. */
export type ConfigInput = {
  [K in keyof Config]?: Config[K] extends (infer E)[] ? Partial<E>[] : Config[K] extends Record<string, infer V> ? Record<string, unknown> | Partial<Config[K]> : Config[K];
};

import type { RetryPolicy } from '@reqrun/contracts';

/** The typed shape of reqrun.yaml after defaults are applied. */
export interface NatsConfig {
  url: string;
  /** Replicas for streams and buckets (1 on one node, 3 on a cluster). */
  replicas: number;
  /** Prefix of every subject, stream and bucket. */
  prefix: string;
  /** A work item not acked (nor heartbeated) for this long is redelivered: how fast a crashed worker's work moves on. */
  ack_wait_ms: number;
}

export interface WindowConfig {
  price: number;
  /** Target completion time, seconds. */
  target_s: number;
}

export interface ProviderConfig {
  name: string;
  type: 'mock' | 'openai' | 'anthropic';
  base_url?: string;
  api_key_env?: string;
  /** Concurrent calls one adapter process makes to this provider. */
  concurrency: number;
  timeout_ms: number;
}

export interface ModelTarget {
  provider: string;
  /** Model name the provider knows; defaults to the public name. */
  model?: string;
  weight: number;
  fallback: boolean;
}

export interface ModelConfig {
  targets: ModelTarget[];
  price?: { input_per_mtok: number; output_per_mtok: number };
}


export interface HttpConfig {
  host: string;
  port: number;
  /** Largest request body accepted, bytes. */
  body_limit: number;
}

export interface WaitConfig {
  /** Default wait for `wait: true`, seconds. */
  default_s: number;
  /** Cap on `wait_timeout` / `Prefer: wait=N`, seconds. */
  max_s: number;
  /** Wait for requests without a `wait` field (the SDKs' own timeout), seconds. */
  sync_s: number;
}

export interface Config {
  nats: NatsConfig;
  http: { ingress: HttpConfig; scheduler: HttpConfig; adapters: HttpConfig };
  log: { level: string };
  wait: WaitConfig;
  idempotency: { ttl_s: number };
  windows: Record<'asap' | 'standard' | 'batch', WindowConfig>;
  providers: ProviderConfig[];
  models: Record<string, ModelConfig>;
  retry: RetryPolicy;
}

/** What a YAML file may say: every field optional, defaults fill the rest. */
export type ConfigInput = {
  [K in keyof Config]?: Config[K] extends (infer E)[] ? Partial<E>[] : Config[K] extends Record<string, infer V> ? Record<string, unknown> | Partial<Config[K]> : Config[K];
};

import { WebhookEventTypes } from '@reqrun/contracts';
import { readFileSync, existsSync } from 'node:fs';
import { parse } from 'yaml';
import type { Config, HttpConfig, ModelConfig, ModelTarget, ProviderConfig, RateLimits, TenantConfig, TenantKey, TenantLimits, WebhookConfig, WindowConfig } from './config.types.js';

export type AppName = 'ingress' | 'scheduler' | 'adapters';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const MiB = 1024 * 1024;
const MAX_WORKERS = 64;

export const defaultConfig: Config = {
  nats: { url: 'nats://127.0.0.1:4222', replicas: 1, prefix: 'rr', ack_wait_ms: 30_000 },
  http: {
    ingress: { host: '0.0.0.0', port: 8080, body_limit: 4 * MiB, workers: 1 },
    scheduler: { host: '0.0.0.0', port: 8081, body_limit: MiB, workers: 1 },
    adapters: { host: '0.0.0.0', port: 8082, body_limit: MiB, workers: 1 },
  },
  log: { level: 'info' },
  wait: { default_s: 30, max_s: 600, sync_s: 600 },
  streaming: { cancel_on_disconnect: false, keepalive_s: 15 },
  idempotency: { ttl_s: 86_400 },
  requests: { ttl_s: 30 * 86_400 },
  files: { max_bytes: 200 * MiB },
  windows: {
    asap: { price: 1.0, target_s: 0, expire_s: 3600, promote_s: 0, share: 1 },
    standard: { price: 0.5, target_s: 300, expire_s: 600, promote_s: 30, share: 0.8 },
    batch: { price: 0.5, target_s: 86_400, expire_s: 172_800, promote_s: 8640, share: 0.5 },
  },
  providers: [],
  models: {},
  tenants: [],
  retry: { max_attempts: 5, base_delay_ms: 500, max_delay_ms: 60_000 },
  breaker: { failures: 5, cooldown_ms: 30_000 },
  webhooks: { allow_private: false, max_age_s: 86_400, timeout_ms: 10_000, base_delay_ms: 5_000, max_delay_ms: 3_600_000, concurrency: 16 },
  batches: { poll_ms: 5_000, window_s: 86_400, submit_concurrency: 32 },
};

const providerDefaults = { concurrency: 64, timeout_ms: 600_000 };

export interface LoadOptions {
  app?: AppName;
  /** Path of the YAML file; defaults to REQRUN_CONFIG, then ./reqrun.yaml when it exists. */
  file?: string;
  env?: NodeJS.ProcessEnv;
}

/** Reads YAML + env into a complete, checked Config. Throws ConfigError with a message that names the bad field. */
export function loadConfig(o: LoadOptions = {}): Config {
  const env = o.env ?? process.env;
  const file = o.file ?? env.REQRUN_CONFIG ?? (existsSync('reqrun.yaml') ? 'reqrun.yaml' : undefined);
  let raw: Record<string, any> = {};
  if (file) {
    try {
      raw = (parse(readFileSync(file, 'utf8')) as Record<string, any>) ?? {};
    } catch (e) {
      throw new ConfigError(`cannot read config file ${file}: ${(e as Error).message}`);
    }
  }
  return buildConfig(raw, env, o.app);
}

export function buildConfig(raw: Record<string, any>, env: NodeJS.ProcessEnv = {}, app?: AppName): Config {
  const d = defaultConfig;
  const http = {
    ingress: { ...d.http.ingress, ...raw.http?.ingress } as HttpConfig,
    scheduler: { ...d.http.scheduler, ...raw.http?.scheduler } as HttpConfig,
    adapters: { ...d.http.adapters, ...raw.http?.adapters } as HttpConfig,
  };
  if (app && env.REQRUN_HTTP_PORT) http[app].port = int(env.REQRUN_HTTP_PORT, 'REQRUN_HTTP_PORT');
  if (app && env.REQRUN_WORKERS) http[app].workers = int(env.REQRUN_WORKERS, 'REQRUN_WORKERS');

  const providers: ProviderConfig[] = (raw.providers ?? []).map((p: Partial<ProviderConfig>, i: number) => provider(p, i));
  if (providers.length === 0) providers.push({ name: 'mock', type: 'mock', ...providerDefaults });
  const providerNames = new Set(providers.map((p) => p.name));

  const rawModels: Record<string, any> = raw.models ?? (providerNames.has('mock') ? { 'mock-1': { targets: [{ provider: 'mock' }] } } : {});
  const models: Record<string, ModelConfig> = Object.create(null); // looked up by callers' model names: no `constructor` in it
  for (const [name, m] of Object.entries(rawModels)) models[name] = model(name, m, providerNames);

  const config: Config = {
    nats: { ...d.nats, ...raw.nats, ...(env.NATS_URL ? { url: env.NATS_URL } : {}), ...(env.REQRUN_NATS_PREFIX ? { prefix: env.REQRUN_NATS_PREFIX } : {}) },
    http,
    log: { ...d.log, ...raw.log, ...(env.REQRUN_LOG_LEVEL ? { level: env.REQRUN_LOG_LEVEL } : {}) },
    wait: { ...d.wait, ...raw.wait },
    streaming: { ...d.streaming, ...raw.streaming },
    idempotency: { ...d.idempotency, ...raw.idempotency },
    requests: { ...d.requests, ...raw.requests },
    files: { ...d.files, ...raw.files },
    windows: {
      asap: windowConfig(d.windows.asap, raw.windows?.asap),
      standard: windowConfig(d.windows.standard, raw.windows?.standard),
      batch: windowConfig(d.windows.batch, raw.windows?.batch),
    },
    providers,
    models,
    retry: { ...d.retry, ...raw.retry },
    breaker: { ...d.breaker, ...raw.breaker },
    webhooks: { ...d.webhooks, ...raw.webhooks },
    batches: { ...d.batches, ...raw.batches },
    tenants: (raw.tenants ?? []).map((t: any, i: number) => tenant(t, i, new Set(Object.keys(models)))),
  };
  check(config);
  return config;
}

/** A window's target alone moves its expiry (twice the target) and promotion point (a tenth before it) unless they are given. */
function windowConfig(d: WindowConfig, raw: Partial<WindowConfig> | undefined): WindowConfig {
  const target_s = raw?.target_s ?? d.target_s;
  const moved = raw?.target_s !== undefined && target_s > 0;
  return {
    ...d,
    ...(moved ? { expire_s: target_s * 2, promote_s: target_s / 10 } : {}),
    ...raw,
  };
}

function rateLimits(v: unknown, at: string): RateLimits | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null) throw new ConfigError(`${at} must be a map of rpm, tpm, concurrency, period_s`);
  for (const [k, n] of Object.entries(v)) {
    if (!['rpm', 'tpm', 'concurrency', 'period_s'].includes(k)) throw new ConfigError(`${at}.${k} is not a limit (rpm, tpm, concurrency, period_s)`);
    if (typeof n !== 'number' || !(n > 0)) throw new ConfigError(`${at}.${k} must be a positive number`);
  }
  return v as RateLimits;
}

function provider(p: Partial<ProviderConfig>, i: number): ProviderConfig {
  if (!p || typeof p.name !== 'string' || !/^[a-z0-9_-]+$/i.test(p.name)) {
    throw new ConfigError(`providers[${i}].name must be letters, digits, '-' or '_'`);
  }
  if (!['mock', 'openai', 'anthropic'].includes(p.type as string)) {
    throw new ConfigError(`providers[${i}].type must be mock, openai or anthropic (got ${String(p.type)})`);
  }
  const at = `providers[${i}] (${p.name})`;
  rateLimits(p.limits, `${at}.limits`);
  if (p.type === 'mock') return { ...providerDefaults, ...p } as ProviderConfig;
  let url: URL;
  try {
    url = new URL(String(p.base_url));
  } catch {
    throw new ConfigError(`${at}.base_url must be an http(s) URL, e.g. ${exampleUrl[p.type!]} (got ${String(p.base_url)})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`${at}.base_url must be http or https`);
  if (url.search) throw new ConfigError(`${at}.base_url must not carry a query; put parameters in ${at}.query`);
  if (p.api_key_env !== undefined && (typeof p.api_key_env !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(p.api_key_env))) {
    throw new ConfigError(`${at}.api_key_env must name an environment variable (got ${String(p.api_key_env)})`);
  }
  for (const f of ['headers', 'query'] as const) {
    const v = p[f];
    if (v !== undefined && (typeof v !== 'object' || v === null || Object.values(v).some((x) => typeof x !== 'string'))) {
      throw new ConfigError(`${at}.${f} must map names to strings`);
    }
  }
  if (p.responses_api !== undefined && (p.type !== 'openai' || typeof p.responses_api !== 'boolean')) {
    throw new ConfigError(`${at}.responses_api is a boolean for type openai only`);
  }
  if (p.max_tokens_field !== undefined && (p.type !== 'openai' || !['max_completion_tokens', 'max_tokens'].includes(p.max_tokens_field))) {
    throw new ConfigError(`${at}.max_tokens_field is max_completion_tokens or max_tokens, for type openai only`);
  }
  return { ...providerDefaults, ...p, base_url: String(p.base_url).replace(/\/+$/, '') } as ProviderConfig;
}

const exampleUrl: Record<string, string> = { openai: 'https://api.openai.com/v1', anthropic: 'https://api.anthropic.com' };

function tenant(t: any, i: number, models: Set<string>): TenantConfig {
  const at = `tenants[${i}]`;
  if (!t || typeof t.name !== 'string' || !/^[a-z0-9_-]{1,64}$/i.test(t.name)) throw new ConfigError(`${at}.name must be 1-64 letters, digits, '-' or '_'`);
  const keys: TenantKey[] = (t.keys ?? []).map((k: any, j: number) => {
    if (typeof k?.sha256 === 'string' && /^[0-9a-f]{64}$/i.test(k.sha256)) return { sha256: k.sha256.toLowerCase() };
    if (typeof k?.env === 'string' && k.env !== '') return { env: k.env };
    throw new ConfigError(`${at}.keys[${j}] needs sha256 (64 hex characters) or env (the name of an env var holding the key)`);
  });
  const limits: TenantLimits = { ...t.limits };
  for (const [k, v] of Object.entries(limits)) {
    if (typeof v !== 'number' || !(v > 0)) throw new ConfigError(`${at}.limits.${k} must be a positive number`);
  }
  for (const m of t.models ?? []) if (!models.has(m)) throw new ConfigError(`${at}.models: '${m}' is not a configured model`);
  for (const w of t.windows ?? []) if (!['asap', 'standard', 'batch'].includes(w)) throw new ConfigError(`${at}.windows: '${w}' is not asap, standard or batch`);
  const webhooks: WebhookConfig[] = (t.webhooks ?? []).map((h: any, j: number) => {
    if (typeof h?.url !== 'string' || !/^https?:\/\//.test(h.url)) throw new ConfigError(`${at}.webhooks[${j}].url must be an http(s) URL`);
    if (typeof h.secret_env !== 'string' || h.secret_env === '') throw new ConfigError(`${at}.webhooks[${j}].secret_env must name the env var holding the signing secret`);
    for (const e of h.events ?? []) {
      if (!(WebhookEventTypes as readonly string[]).includes(e)) throw new ConfigError(`${at}.webhooks[${j}].events: '${e}' is not an event type (${WebhookEventTypes.join(', ')})`);
    }
    // An endpoint is known by its tenant and URL (its id, its delivery records, its 410 mark): one entry per URL.
    if (t.webhooks.findIndex((o: any) => o?.url === h.url) !== j) throw new ConfigError(`${at}.webhooks[${j}].url repeats an endpoint of this tenant: list each URL once`);
    return { url: h.url, secret_env: h.secret_env, ...(h.events ? { events: h.events } : {}) };
  });
  return { name: t.name, keys, limits, ...(t.models ? { models: t.models } : {}), ...(t.windows ? { windows: t.windows } : {}), webhooks };
}

function model(name: string, m: any, providers: Set<string>): ModelConfig {
  const targets: ModelTarget[] = (m?.targets ?? []).map((t: Partial<ModelTarget>, i: number) => {
    if (!t?.provider || !providers.has(t.provider)) {
      throw new ConfigError(`models.${name}.targets[${i}].provider '${t?.provider}' is not a configured provider`);
    }
    rateLimits(t.limits, `models.${name}.targets[${i}].limits`);
    return { provider: t.provider, model: t.model ?? name, weight: t.weight ?? 1, fallback: t.fallback ?? false, ...(t.limits ? { limits: t.limits } : {}) };
  });
  if (targets.length === 0) throw new ConfigError(`models.${name} needs at least one target`);
  if (m.price !== undefined) {
    for (const f of ['input_per_mtok', 'output_per_mtok']) {
      if (typeof m.price?.[f] !== 'number' || !(m.price[f] >= 0)) throw new ConfigError(`models.${name}.price.${f} must be a number >= 0 (per million tokens)`);
    }
  }
  return { targets, ...(m.price ? { price: m.price } : {}) };
}

/** A provider's model has one set of limits (one KV scope), however many public models route to it. */
function checkTargetLimits(c: Config): void {
  const seen = new Map<string, { at: string; limits: string }>();
  for (const [name, m] of Object.entries(c.models)) {
    m.targets.forEach((t, i) => {
      const key = `${t.provider}\n${t.model}`;
      const at = `models.${name}.targets[${i}]`;
      const limits = JSON.stringify(t.limits ?? {}, Object.keys(t.limits ?? {}).sort());
      const other = seen.get(key);
      if (other && other.limits !== limits) {
        throw new ConfigError(`${at}.limits must match ${other.at}.limits: both are ${t.provider}'s model '${t.model}', which has one set of limits`);
      }
      seen.set(key, other ?? { at, limits });
    });
  }
}

/** Records must outlive what still points at them: a queued request until its window expires, an idempotency key, a webhook still retried. */
function checkRequestsTtl(c: Config): void {
  const ttl = c.requests.ttl_s;
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0) throw new ConfigError('requests.ttl_s must be a number >= 0 (0 = keep records for ever)');
  if (ttl === 0) return;
  const [window, w] = Object.entries(c.windows).reduce((a, b) => (b[1].expire_s > a[1].expire_s ? b : a));
  if (ttl <= w.expire_s) throw new ConfigError(`requests.ttl_s (${ttl}) must be longer than windows.${window}.expire_s (${w.expire_s}): a queued request's record must outlive its window`);
  if (ttl < c.idempotency.ttl_s) throw new ConfigError(`requests.ttl_s (${ttl}) must be at least idempotency.ttl_s (${c.idempotency.ttl_s}): a key must not outlive its request`);
  if (ttl <= c.webhooks.max_age_s) throw new ConfigError(`requests.ttl_s (${ttl}) must be longer than webhooks.max_age_s (${c.webhooks.max_age_s}): a delivery's record must outlive its retries`);
  if (ttl <= c.batches.window_s) throw new ConfigError(`requests.ttl_s (${ttl}) must be longer than batches.window_s (${c.batches.window_s}): a batch's requests must outlive it`);
}

function check(c: Config): void {
  const positive = (v: unknown, field: string) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new ConfigError(`${field} must be a positive number`);
  };
  positive(c.wait.default_s, 'wait.default_s');
  positive(c.wait.max_s, 'wait.max_s');
  positive(c.wait.sync_s, 'wait.sync_s');
  positive(c.streaming.keepalive_s, 'streaming.keepalive_s');
  if (typeof c.streaming.cancel_on_disconnect !== 'boolean') throw new ConfigError('streaming.cancel_on_disconnect must be true or false');
  positive(c.idempotency.ttl_s, 'idempotency.ttl_s');
  if (!Number.isSafeInteger(c.files.max_bytes) || c.files.max_bytes <= 0) throw new ConfigError('files.max_bytes must be a positive whole number of bytes');
  positive(c.retry.max_attempts, 'retry.max_attempts');
  positive(c.retry.base_delay_ms, 'retry.base_delay_ms');
  positive(c.retry.max_delay_ms, 'retry.max_delay_ms');
  positive(c.breaker.failures, 'breaker.failures');
  positive(c.breaker.cooldown_ms, 'breaker.cooldown_ms');
  for (const f of ['max_age_s', 'timeout_ms', 'base_delay_ms', 'max_delay_ms', 'concurrency'] as const) positive(c.webhooks[f], `webhooks.${f}`);
  if (typeof c.webhooks.allow_private !== 'boolean') throw new ConfigError('webhooks.allow_private must be true or false');
  for (const f of ['poll_ms', 'window_s', 'submit_concurrency'] as const) positive(c.batches[f], `batches.${f}`);
  for (const [name, w] of Object.entries(c.windows)) {
    for (const f of ['price', 'target_s', 'promote_s', 'share'] as const) {
      if (typeof w[f] !== 'number' || !(w[f] >= 0)) throw new ConfigError(`windows.${name}.${f} must be a number >= 0`);
    }
    positive(w.expire_s, `windows.${name}.expire_s`);
    if (w.share > 1) throw new ConfigError(`windows.${name}.share must be between 0 and 1`);
  }
  checkRequestsTtl(c);
  checkTargetLimits(c);
  for (const [i, p] of c.providers.entries()) {
    positive(p.concurrency, `providers[${i}].concurrency`);
    positive(p.timeout_ms, `providers[${i}].timeout_ms`);
  }
  positive(c.nats.replicas, 'nats.replicas');
  positive(c.nats.ack_wait_ms, 'nats.ack_wait_ms');
  for (const [app, h] of Object.entries(c.http)) {
    if (!Number.isInteger(h.port) || h.port < 0 || h.port > 65535) throw new ConfigError(`http.${app}.port must be 0-65535`);
    positive(h.body_limit, `http.${app}.body_limit`);
    if (!Number.isInteger(h.workers) || h.workers < 1 || h.workers > MAX_WORKERS) throw new ConfigError(`http.${app}.workers must be an integer from 1 to ${MAX_WORKERS}`);
  }
  checkNatsAuth(c.nats);
  if (!/^[a-z][a-z0-9_-]*$/i.test(c.nats.prefix)) throw new ConfigError('nats.prefix must start with a letter and hold letters, digits, - or _');
}

const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkNatsAuth(n: Config['nats']): void {
  for (const f of ['password_env', 'token_env', 'nkey_seed_env'] as const) {
    if (n[f] !== undefined && (typeof n[f] !== 'string' || !envName.test(n[f]))) throw new ConfigError(`nats.${f} must name an environment variable (secrets are not written in the config)`);
  }
  for (const f of ['user', 'creds_file'] as const) {
    if (n[f] !== undefined && (typeof n[f] !== 'string' || n[f] === '')) throw new ConfigError(`nats.${f} must be a non-empty string`);
  }
  if (n.password_env !== undefined && n.user === undefined) throw new ConfigError('nats.password_env needs nats.user');
  const ways = [n.user, n.token_env, n.nkey_seed_env, n.creds_file].filter((v) => v !== undefined).length;
  if (ways > 1) throw new ConfigError('nats: use one of user (+ password_env), token_env, nkey_seed_env or creds_file');
  if (n.tls !== undefined) {
    if (typeof n.tls !== 'object' || n.tls === null) throw new ConfigError('nats.tls must be a map with ca, cert and key file paths');
    for (const [k, v] of Object.entries(n.tls)) {
      if (!['ca', 'cert', 'key'].includes(k) || typeof v !== 'string') throw new ConfigError(`nats.tls.${k}: expected ca, cert or key, each a file path`);
    }
    if (!n.tls.cert !== !n.tls.key) throw new ConfigError('nats.tls: cert and key go together (a client certificate)');
  }
}

function int(v: string, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new ConfigError(`${name} must be an integer (got '${v}')`);
  return n;
}

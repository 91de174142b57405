import { createHash, timingSafeEqual } from 'node:crypto';
import { ConfigError, type Config, type TenantConfig } from '@reqrun/config';
import { ErrorCode, ReqRunError, type Window } from '@reqrun/contracts';

/** Who is calling: a configured tenant, or the one open tenant of development mode. */
export interface Tenant {
  name: string;
  /** Public model names it may use; all when absent. */
  models?: ReadonlySet<string>;
  /** Completion windows it may use; all when absent. */
  windows?: ReadonlySet<Window>;
}

/** No tenants configured: every caller is this tenant, whatever key it sends (or none). */
export const DEV_TENANT: Tenant = { name: 'default' };

interface KnownKey {
  digest: Buffer;
  tenant: Tenant;
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * The API keys of every tenant, held only as SHA-256 digests. A presented key is hashed and compared with
 * `timingSafeEqual` against every known digest, without stopping at a match: the time taken depends on the number
 * of keys only, never on how much of a key a caller guessed. (A Map from digest to tenant would also leak nothing
 * useful, since a caller cannot steer the digest of its guess, but the scan needs no argument and costs ~100 ns
 * per key.)
 */
export class ApiKeys {
  private constructor(private readonly keys: KnownKey[], readonly devMode: boolean) {}

  /** Keys given as `env` are read now: a missing variable stops the app rather than lock a tenant out silently. */
  static from(config: Config, env: NodeJS.ProcessEnv = process.env): ApiKeys {
    const keys: KnownKey[] = [];
    for (const t of config.tenants) {
      const tenant = tenantOf(t);
      for (const [j, k] of t.keys.entries()) {
        if (k.sha256) keys.push({ digest: Buffer.from(k.sha256, 'hex'), tenant });
        else {
          const value = env[k.env!];
          if (!value) throw new ConfigError(`tenants '${t.name}'.keys[${j}]: the environment variable ${k.env} is not set`);
          keys.push({ digest: sha256(value), tenant });
        }
      }
    }
    return new ApiKeys(keys, config.tenants.length === 0);
  }

  /** The tenant of the request's key (`Authorization: Bearer <key>` or `x-api-key`); throws a 401 when there is none or it is unknown. */
  resolve(headers: Record<string, string | string[] | undefined>): Tenant {
    if (this.devMode) return DEV_TENANT;
    const key = presentedKey(headers);
    if (!key) {
      throw new ReqRunError(ErrorCode.MissingApiKey, "You didn't provide an API key. Send it as 'Authorization: Bearer <key>' or in the 'x-api-key' header.", 401);
    }
    const digest = sha256(key);
    let found: Tenant | undefined;
    for (const k of this.keys) if (timingSafeEqual(k.digest, digest)) found ??= k.tenant;
    if (!found) throw new ReqRunError(ErrorCode.Unauthorized, 'Incorrect API key provided.', 401);
    return found;
  }
}

/** The tenant of this name as configured now (for work done later on its behalf, e.g. a batch's lines); undefined when it is gone. */
export function tenantNamed(config: Config, name: string): Tenant | undefined {
  if (config.tenants.length === 0) return name === DEV_TENANT.name ? DEV_TENANT : undefined;
  const t = config.tenants.find((x) => x.name === name);
  return t && tenantOf(t);
}

function tenantOf(t: TenantConfig): Tenant {
  return { name: t.name, ...(t.models ? { models: new Set(t.models) } : {}), ...(t.windows ? { windows: new Set(t.windows) } : {}) };
}

function presentedKey(h: Record<string, string | string[] | undefined>): string | undefined {
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(first(h.authorization) ?? '')?.[1];
  return bearer ?? (first(h['x-api-key'])?.trim() || undefined);
}

/** 403 unless the tenant may use this model. */
export function checkModelAllowed(t: Tenant, model: string): void {
  if (t.models && !t.models.has(model)) {
    throw new ReqRunError(ErrorCode.ModelNotAllowed, `Your API key may not use the model '${model}'. Allowed: ${[...t.models].join(', ')}.`, 403, 'model');
  }
}

/** 403 unless the tenant may use this completion window. */
export function checkWindowAllowed(t: Tenant, window: Window): void {
  if (t.windows && !t.windows.has(window)) {
    throw new ReqRunError(
      ErrorCode.WindowNotAllowed, `Your API key may not use the '${window}' completion window. Allowed: ${[...t.windows].join(', ')}.`, 403, 'completion_window',
    );
  }
}

/** Whether the tenant may see and use this model (GET /v1/models lists only these). */
export const mayUse = (t: Tenant, model: string): boolean => !t.models || t.models.has(model);

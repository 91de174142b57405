import { createHash } from 'node:crypto';
import type { KV } from '@nats-io/kv';
import { isWrongLastSequence } from '@reqrun/messaging';

export interface IdempotencyClaim {
  id: string;
  fingerprint: string;
}

export type ClaimResult = { won: true } | { won: false; existing: IdempotencyClaim };

/** Idempotency keys: `<tenant>.<sha256(key)>` -> the request id and the request's fingerprint. Bucket TTL = retention. */
export class IdempotencyStore {
  constructor(private readonly kv: KV) {}

  /** First caller wins (KV `create`); later callers learn which request the key belongs to. */
  async claim(tenant: string, key: string, claim: IdempotencyClaim): Promise<ClaimResult> {
    const k = `${tenant}.${sha256(key)}`;
    for (;;) {
      try {
        await this.kv.create(k, JSON.stringify(claim));
        return { won: true };
      } catch (e) {
        if (!isWrongLastSequence(e)) throw e;
      }
      const existing = await this.kv.get(k);
      // Gone between our create and get (expired or purged): try to claim again.
      if (existing && existing.operation === 'PUT') return { won: false, existing: existing.json<IdempotencyClaim>() };
    }
  }
}

export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** A stable hash of what makes two requests the same: the API and the body with keys sorted. */
export function fingerprint(api: string, body: unknown): string {
  return sha256(`${api}\n${stableJson(body)}`);
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

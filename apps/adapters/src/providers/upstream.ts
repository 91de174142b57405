import type { ProviderConfig } from '@reqrun/config';
import type { CanonicalResult, Clock } from '@reqrun/contracts';
import { currentContext, TRACEPARENT } from '@reqrun/messaging';
import { classify, TIMEOUT } from './classify.js';
import { ProviderError, type AdapterResult } from './provider.js';

/** How one provider is reached: its URLs, its auth, and the key to keep out of every message. */
export interface Upstream {
  name: string;
  base_url: string;
  query?: Record<string, string>;
  /** Every header of every call, auth included. */
  headers: Record<string, string>;
  /** The API key, scrubbed from anything the provider says back. */
  secret?: string;
}

export function upstreamOf(p: ProviderConfig, key: string | undefined, auth: (key: string) => Record<string, string>): Upstream {
  return {
    name: p.name,
    base_url: p.base_url!,
    query: p.query,
    headers: { 'content-type': 'application/json', accept: 'application/json', ...p.headers, ...(key ? auth(key) : {}) },
    secret: key,
  };
}

/** The key in the header the provider wants: `authorization` takes `Bearer <key>`, any other header the bare key. */
export const keyHeader = (header: string) => (key: string): Record<string, string> =>
  ({ [header]: header.toLowerCase() === 'authorization' ? `Bearer ${key}` : key });

/**
 * POSTs `body` as JSON to `base_url + path` with Node's fetch (aborted by `signal`: cancel or the per-attempt
 * timeout), and reads the answer with `read`. Anything else becomes a classified ProviderError whose message is the
 * provider's own (from its error body), scrubbed of the key. The call carries the request's `traceparent`, so the
 * provider's own logs (or a tracing proxy in front of it) join the trace that started at the ingress.
 */
export async function postJson(u: Upstream, path: string, body: object, signal: AbortSignal, clock: Clock, read: (json: any) => CanonicalResult): Promise<AdapterResult> {
  const url = new URL(u.base_url + path);
  for (const [k, v] of Object.entries(u.query ?? {})) url.searchParams.set(k, v);
  let res: Response;
  let text: string;
  try {
    const traceparent = currentContext()?.traceparent;
    res = await fetch(url, { method: 'POST', headers: traceparent ? { ...u.headers, [TRACEPARENT]: traceparent } : u.headers, body: JSON.stringify(body), signal });
    text = await res.text();
  } catch (e) {
    const why = signal.aborted ? signal.reason : e;
    const message = why === TIMEOUT ? `Provider '${u.name}' did not answer in time.` : `Provider '${u.name}' could not be reached: ${causeOf(e)}`;
    throw ProviderError.of(classify(null, null, why, clock.now()), scrub(message, u.secret));
  }
  if (!res.ok) {
    const c = classify(res.status, res.headers, null, clock.now());
    throw ProviderError.of(c, scrub(errorMessage(text) ?? `Provider '${u.name}' answered HTTP ${res.status}.`, u.secret), res.status);
  }
  try {
    return { ...read(JSON.parse(text)), status_code: res.status };
  } catch (e) {
    const c = classify(res.status, res.headers, e, clock.now());
    throw ProviderError.of(c, scrub(`Provider '${u.name}' answered with a body ReqRun could not read: ${(e as Error).message}`, u.secret), res.status);
  }
}

/** The message of an error body: OpenAI `{"error":{"message"}}`, Anthropic `{"type":"error","error":{"message"}}`, or the plainer shapes of compatible servers. */
export function errorMessage(text: string): string | undefined {
  let j: any;
  try {
    j = JSON.parse(text);
  } catch {
    return text.trim() ? text.trim().slice(0, 1000) : undefined;
  }
  const m = j?.error?.message ?? (typeof j?.error === 'string' ? j.error : undefined) ?? j?.message ?? j?.detail;
  return typeof m === 'string' && m !== '' ? m.slice(0, 1000) : undefined;
}

/** The message with every occurrence of the secret replaced. */
export function scrub(message: string, secret: string | undefined): string {
  return secret ? message.split(secret).join('[redacted]') : message;
}

const causeOf = (e: unknown): string => {
  const cause = (e as { cause?: { message?: string; code?: string } })?.cause;
  return cause?.message || cause?.code || (e as Error)?.message || String(e);
};

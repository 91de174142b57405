import type { ProviderConfig } from '@reqrun/config';
import type { CanonicalResult, Clock } from '@reqrun/contracts';
import { currentContext, TRACEPARENT } from '@reqrun/messaging';
import type { StreamReader, StreamStep } from '@reqrun/translate';
import { EventSourceParserStream, type EventSourceMessage } from 'eventsource-parser/stream';
import { classify, TIMEOUT, UpstreamErrorCode } from './classify.js';
import { ProviderError, type AdapterResult, type StreamingCall } from './provider.js';

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
export async function postJson<T = CanonicalResult>(u: Upstream, path: string, body: object, signal: AbortSignal, clock: Clock, read: (json: any) => T): Promise<T & { status_code: number }> {
  const res = await post(u, path, body, signal, clock, 'application/json');
  let text: string;
  try {
    text = await res.text();
  } catch (e) {
    throw noAnswer(u, signal, e, clock, 'could not be reached');
  }
  try {
    return { ...read(JSON.parse(text)), status_code: res.status };
  } catch (e) {
    throw unreadable(u, res, e, clock);
  }
}

/**
 * The same POST (the body asks the provider to stream), answered by a server-sent event stream: each event goes
 * through `reader`, each piece of text to the call's `onDelta`, each piece of a tool call to its `onToolCallDelta` and
 * each piece of a thinking block to its `onThinkingDelta` (awaited before the next is read), and the result once the
 * stream's last event came. A failure before the stream starts is classified as for postJson; once it runs, an error
 * event, a dropped connection or a stream that stops short is a retryable ProviderError (whether a retry may happen
 * is the caller's decision: a client may have seen text).
 */
export async function postStream(
  u: Upstream, path: string, body: object, clock: Clock, reader: StreamReader, o: StreamingCall,
): Promise<AdapterResult> {
  const { signal, onDelta, onToolCallDelta, onThinkingDelta } = o;
  const res = await post(u, path, body, signal, clock, 'text/event-stream');
  const events = res.body!.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream())[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<EventSourceMessage>;
      try {
        next = await events.next();
      } catch (e) {
        throw noAnswer(u, signal, e, clock, 'dropped the stream');
      }
      if (next.done) throw streamFailed(u, `Provider '${u.name}' ended the stream before the answer was complete.`, res.status);
      let step: StreamStep;
      try {
        step = reader.read(next.value.event, next.value.data);
        if (step.type === 'done') return { ...reader.result(), status_code: res.status };
      } catch (e) {
        throw unreadable(u, res, e, clock);
      }
      if (step.type === 'error') throw streamFailed(u, step.message, res.status);
      if (step.type !== 'delta') continue;
      for (const piece of step.thinking ?? []) await onThinkingDelta?.(piece);
      if (step.text !== '') await onDelta(step.text);
      for (const piece of step.tool_calls ?? []) await onToolCallDelta?.(piece);
    }
  } finally {
    await events.return?.().catch(() => {}); // lets go of the connection whichever way the stream ended
  }
}

/** Sends the POST; no answer, or an answer that is not a 2xx, becomes the classified ProviderError. */
async function post(u: Upstream, path: string, body: object, signal: AbortSignal, clock: Clock, accept: string): Promise<Response> {
  const url = new URL(u.base_url + path);
  for (const [k, v] of Object.entries(u.query ?? {})) url.searchParams.set(k, v);
  const traceparent = currentContext()?.traceparent;
  const headers = { ...u.headers, accept, ...(traceparent ? { [TRACEPARENT]: traceparent } : {}) };
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal });
  } catch (e) {
    throw noAnswer(u, signal, e, clock, 'could not be reached');
  }
  if (res.ok) return res;
  const text = await res.text().catch(() => '');
  const c = classify(res.status, res.headers, null, clock.now());
  throw ProviderError.of(c, scrub(errorMessage(text) ?? `Provider '${u.name}' answered HTTP ${res.status}.`, u.secret), res.status);
}

/** The call got no (complete) answer: the per-attempt timeout fired, or the network failed. */
function noAnswer(u: Upstream, signal: AbortSignal, e: unknown, clock: Clock, what: string): ProviderError {
  const why = signal.aborted ? signal.reason : e;
  const message = why === TIMEOUT ? `Provider '${u.name}' did not answer in time.` : `Provider '${u.name}' ${what}: ${causeOf(e)}`;
  return ProviderError.of(classify(null, null, why, clock.now()), scrub(message, u.secret));
}

function unreadable(u: Upstream, res: Response, e: unknown, clock: Clock): ProviderError {
  const c = classify(res.status, res.headers, e, clock.now());
  return ProviderError.of(c, scrub(`Provider '${u.name}' answered with a body ReqRun could not read: ${(e as Error).message}`, u.secret), res.status);
}

/** Retryable like a 5xx: the provider accepted the call, then could not finish it. */
const streamFailed = (u: Upstream, message: string, status: number): ProviderError =>
  new ProviderError(UpstreamErrorCode.ServerError, scrub(message, u.secret), true, 502, 0, status);

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

import { AsyncLocalStorage } from 'node:async_hooks';
import { randomFillSync } from 'node:crypto';

/**
 * What a piece of work is about, for as long as it runs: the request it serves and its W3C trace context. Set where
 * the work enters a process (an HTTP request, a delivered work item); read by the logger (every line carries
 * `request_id` and `trace_id`), by `Bus.persist` (the `traceparent` header goes along with the work item) and by
 * the provider call (the `traceparent` header to the provider).
 */
export interface WorkContext {
  request_id?: string;
  /** `00-<trace id>-<span id>-<flags>`: this process's span of the trace. */
  traceparent?: string;
}

const storage = new AsyncLocalStorage<WorkContext>();

export const TRACEPARENT = 'traceparent';

/** Runs `f` with `ctx` as the current work context. */
export const runInContext = <R>(ctx: WorkContext, f: () => R): R => storage.run(ctx, f);

/** The current context; changes made to it (say the request id once known) are seen by everything after. */
export const currentContext = (): WorkContext | undefined => storage.getStore();

/** Names the request the current work serves (no-op outside a context). */
export function setRequestId(id: string): void {
  const ctx = storage.getStore();
  if (ctx) ctx.request_id = id;
}

/** Fields every log line gets while a context is current. */
export function logFields(): Record<string, string> {
  const ctx = storage.getStore();
  if (!ctx) return {};
  const trace = ctx.traceparent ? traceIdOf(ctx.traceparent) : undefined;
  return { ...(ctx.request_id ? { request_id: ctx.request_id } : {}), ...(trace ? { trace_id: trace } : {}) };
}

const TRACEPARENT_PATTERN = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZEROS = /^0+$/;

/** The trace id of a valid version-00 `traceparent`, else undefined (all-zero ids are invalid, per the spec). */
export function traceIdOf(tp: string | undefined): string | undefined {
  const m = tp ? TRACEPARENT_PATTERN.exec(tp.trim().toLowerCase()) : null;
  return m && !ZEROS.test(m[1]) && !ZEROS.test(m[2]) ? m[1] : undefined;
}

/**
 * A new span in the same trace: the caller's `traceparent` continued (same trace id and flags, a new span id), or a
 * new sampled trace when there is none or it is not valid.
 */
export function childSpan(parent: string | undefined, random: (n: number) => Buffer = pooledRandom): string {
  const trace = traceIdOf(parent);
  const flags = trace ? parent!.trim().slice(-2).toLowerCase() : '01';
  return `00-${trace ?? random(16).toString('hex')}-${random(8).toString('hex')}-${flags}`;
}

const pool = Buffer.alloc(4096);
let at = pool.length;

/** `n` crypto-strong bytes from a pool refilled 4 KiB at a time: `randomBytes` per span cost ~4 % of a process's CPU. */
function pooledRandom(n: number): Buffer {
  if (at + n > pool.length) {
    randomFillSync(pool);
    at = 0;
  }
  at += n;
  return Buffer.from(pool.subarray(at - n, at));
}

import type { WaitConfig } from '@reqrun/config';
import { badRequest, ErrorCode, windowAliases, type Api, type Window } from '@reqrun/contracts';

/** What a create call asks of ReqRun, once the extensions are read out of the body and headers. */
export interface SubmitPlan {
  tenant: string;
  api: Api;
  model: string;
  window: Window;
  /** The body as stored and sent on: ReqRun's extension fields removed. */
  body: Record<string, unknown>;
  idempotencyKey?: string;
  /** 0 = answer at once with the async shape. */
  waitMs: number;
}

export interface SubmitHeaders {
  idempotencyKey?: string;
  prefer?: string;
}

export interface PlanOptions {
  /** With no `wait` field and no wait preference, answer at once (Responses with `background: true`). */
  asyncByDefault: boolean;
  /** `stream: true`: the answer is streamed as it comes, so nothing waits (waitMs 0) and the window is asap unless asked. */
  streaming: boolean;
}
const defaultPlan: PlanOptions = { asyncByDefault: false, streaming: false };

const EXTENSIONS = ['wait', 'wait_timeout', 'idempotency_key', 'completion_window'] as const;

/** Pure: reads `wait`, `wait_timeout`, `Prefer`, `Idempotency-Key` and `completion_window` into a plan. */
export function planSubmit(
  tenant: string, api: Api, raw: Record<string, unknown>, h: SubmitHeaders, w: WaitConfig, o: Partial<PlanOptions> = {},
): SubmitPlan {
  const { asyncByDefault, streaming } = { ...defaultPlan, ...o };
  const prefer = parsePrefer(h.prefer);
  if (streaming && (raw.wait === false || prefer.respondAsync)) {
    throw badRequest(
      'stream: true sends the answer as it is made, to a caller that waits for it; it cannot be combined with wait: false or Prefer: respond-async. Leave one of them out (a Responses request can stream with background: true).',
      'stream',
    );
  }
  const waitMs = streaming ? 0 : waitFor(raw.wait as boolean | undefined, raw.wait_timeout as number | undefined, prefer, w, asyncByDefault);
  const body: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) if (!(EXTENSIONS as readonly string[]).includes(k)) body[k] = v;
  return {
    tenant,
    api,
    model: raw.model as string,
    window: windowOf(raw, streaming || waitMs > 0),
    body,
    idempotencyKey: idempotencyKey(raw.idempotency_key as string | undefined, h.idempotencyKey),
    waitMs,
  };
}

function waitFor(wait: boolean | undefined, timeoutS: number | undefined, prefer: Prefer, w: WaitConfig, asyncByDefault: boolean): number {
  const cap = (s: number) => Math.round(Math.min(s, w.max_s) * 1000);
  if (wait === false || (wait === undefined && prefer.respondAsync)) return 0;
  if (wait === true || timeoutS !== undefined || prefer.waitS !== undefined) return cap(timeoutS ?? prefer.waitS ?? w.default_s);
  if (asyncByDefault) return 0;
  return Math.round(w.sync_s * 1000); // no wait field: synchronous, as the SDKs expect
}

function windowOf(raw: Record<string, unknown>, realtime: boolean): Window {
  const meta = raw.metadata as Record<string, unknown> | undefined;
  const asked = raw.completion_window ?? meta?.completion_window;
  if (asked === undefined) return realtime ? 'asap' : 'standard';
  const w = typeof asked === 'string' ? windowAliases[asked] : undefined;
  if (!w) {
    throw badRequest(`Invalid completion_window '${String(asked)}': use one of asap (or now), standard, batch.`, 'completion_window', ErrorCode.InvalidWindow);
  }
  return w;
}

function idempotencyKey(fromBody: string | undefined, fromHeader: string | undefined): string | undefined {
  const header = fromHeader?.trim().replace(/^"(.*)"$/, '$1');
  if (header !== undefined && (header === '' || header.length > 255)) throw badRequest('The Idempotency-Key header must hold 1 to 255 characters.', 'Idempotency-Key');
  if (fromBody !== undefined && header !== undefined && fromBody !== header) {
    throw badRequest('idempotency_key in the body and the Idempotency-Key header differ; send one of them.', 'idempotency_key');
  }
  return fromBody ?? header;
}

interface Prefer {
  respondAsync: boolean;
  waitS?: number;
}

/** RFC 7240: `Prefer: respond-async, wait=10`. Unknown preferences are ignored, as the RFC asks. */
export function parsePrefer(h: string | undefined): Prefer {
  const out: Prefer = { respondAsync: false };
  for (const part of (h ?? '').split(/[,;]/)) {
    const [k, v] = part.trim().split('=').map((s) => s.trim().toLowerCase());
    if (k === 'respond-async') out.respondAsync = true;
    if (k === 'wait' && v !== undefined && /^\d+(\.\d+)?$/.test(v)) out.waitS = Number(v);
  }
  return out;
}

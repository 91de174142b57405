import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * In-process fake providers on 127.0.0.1 (random port) that speak the real wire formats: OpenAI Chat Completions
 * and Responses (`{"error":{...}}` errors), Anthropic Messages (`{"type":"error","error":{...}}`), with their
 * auth headers and `retry-after`. A request with `stream: true` is answered by the API's own server-sent events
 * (chat chunks and `[DONE]`, Responses events, Anthropic message events), one word a delta; tool calls stream as
 * each API streams them (their arguments in pieces, one word each, or halves when there is no space). Told per request (a marker found in the body) or per server what to do next, and
 * they record every call they received.
 */
export type FakeKind = 'openai' | 'anthropic';
/**
 * A tool call in an answer: a chat completion's tool_calls, a response's function_call items, or Anthropic's tool_use
 * blocks (input = the arguments parsed; streamed, its input_json_delta pieces are `arguments` as written).
 */
export interface FakeToolCall { id: string; name: string; arguments: string }
/** An Anthropic answer's extended thinking block, as the Messages API gives it (streamed: its text one word a thinking_delta). */
export type FakeThinking = { type: 'thinking'; thinking: string; signature: string } | { type: 'redacted_thinking'; data: string };

export type Step =
  /**
   * A normal answer; `finish` picks the stop reason (Anthropic names are mapped for OpenAI); `chunkDelayMs` paces a
   * stream; `thinking` (Anthropic only) comes first in the content.
   */
  | { kind: 'answer'; text?: string; finish?: 'stop' | 'length' | 'stop_sequence'; stopSequence?: string; delayMs?: number; chunkDelayMs?: number; toolCalls?: FakeToolCall[]; thinking?: FakeThinking[] }
  /**
   * Streamed (or, unstreamed, a normal answer): `afterDeltas` text deltas, then `then`: drop the connection, send the
   * API's error event (`message`), or end the stream without its last event.
   */
  | { kind: 'broken'; afterDeltas: number; then: 'drop' | 'error' | 'stop'; message?: string; text?: string; delayMs?: number }
  /** An error in the provider's envelope; `echoKey` puts the key the caller sent into the message (a leaky provider). */
  | { kind: 'error'; status: number; message?: string; retryAfter?: string; retryAfterMs?: string; echoKey?: boolean; delayMs?: number }
  /** Reads the request, then drops the connection without an answer. */
  | { kind: 'drop'; delayMs?: number }
  /** Exactly this status and body (e.g. a 200 that is not JSON). */
  | { kind: 'raw'; status: number; body: string; delayMs?: number };

export const answer = (o: Omit<Extract<Step, { kind: 'answer' }>, 'kind'> = {}): Step => ({ kind: 'answer', ...o });
export const failWith = (status: number, o: Omit<Extract<Step, { kind: 'error' }>, 'kind' | 'status'> = {}): Step => ({ kind: 'error', status, ...o });
export const dropConnection = (delayMs = 0): Step => ({ kind: 'drop', delayMs });
export const slow = (delayMs: number): Step => ({ kind: 'answer', delayMs });
export const dropMidStream = (afterDeltas: number): Step => ({ kind: 'broken', afterDeltas, then: 'drop' });
export const errorMidStream = (afterDeltas: number, message?: string): Step => ({ kind: 'broken', afterDeltas, then: 'error', message });
export const stopMidStream = (afterDeltas: number): Step => ({ kind: 'broken', afterDeltas, then: 'stop' });

export interface ReceivedCall {
  /** Epoch ms the request arrived. */
  at: number;
  method: string;
  /** Path with query. */
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
  /** What the fake did: its HTTP status, or 'dropped'. */
  answered: number | 'dropped';
  /** The caller closed the connection before the answer was complete (a timeout or a cancel aborted the call). */
  aborted: boolean;
}

export interface FakeUpstreamOptions {
  kind: FakeKind;
  /** When set, calls without this key get the provider's 401. */
  apiKey?: string;
}

export interface FakeUpstream extends AsyncDisposable {
  readonly kind: FakeKind;
  /** What to put in `base_url`: `http://127.0.0.1:PORT/v1` for openai, `http://127.0.0.1:PORT` for anthropic. */
  readonly url: string;
  readonly calls: ReceivedCall[];
  /** Calls whose raw body contains `marker`. */
  callsWith(marker: string): ReceivedCall[];
  /** The next requests whose body contains `marker` (every request when null) get these steps, in order; then the default. */
  plan(marker: string | null, ...steps: Step[]): void;
  /** What a request with no planned step gets (initially a normal answer); a function picks it per request from the raw body. */
  setDefault(step: Step | ((rawBody: string) => Step)): void;
  /** Forget plans, default and recorded calls. */
  reset(): void;
  close(): Promise<void>;
}

export async function startFakeUpstream(o: FakeUpstreamOptions): Promise<FakeUpstream> {
  const calls: ReceivedCall[] = [];
  let plans: { marker: string | null; steps: Step[] }[] = [];
  let fallback: Step | ((rawBody: string) => Step) = answer();
  let n = 0;

  const nextStep = (raw: string): Step => {
    const p = plans.find((x) => x.steps.length > 0 && x.marker !== null && raw.includes(x.marker)) ?? plans.find((x) => x.steps.length > 0 && x.marker === null);
    return p?.steps.shift() ?? (typeof fallback === 'function' ? fallback(raw) : fallback);
  };

  const server = createServer(async (req, res) => {
    const at = Date.now();
    const raw = await readBody(req);
    let body: any = null;
    try {
      body = JSON.parse(raw);
    } catch {
      /* recorded as null */
    }
    const call: ReceivedCall = { at, method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, answered: 0, aborted: false };
    calls.push(call);
    const gone = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished && call.answered !== 'dropped') call.aborted = true;
      gone.abort();
    });
    const sent = (status: number | 'dropped') => (call.answered = status);

    const route = routeOf(o.kind, req.method, (req.url ?? '').split('?')[0]);
    const created = Math.floor(at / 1000);
    if (!route) return sent(sendError(res, o.kind, 404, `Unknown path ${req.url}`, {}));
    const authError = checkAuth(o, req);
    if (authError) return sent(sendError(res, o.kind, authError.status, authError.message, {}));
    if (body === null) return sent(sendError(res, o.kind, 400, 'We could not parse the JSON body of your request.', {}));
    const extra = route.answer === anthropicTokenCount ? ['max_tokens', 'temperature', 'top_p', 'stop_sequences', 'metadata', 'stream'].find((k) => k in body) : undefined;
    if (extra) return sent(sendError(res, o.kind, 400, `${extra}: Extra inputs are not permitted`, {}));

    const step = nextStep(raw);
    if (step.delayMs) await sleep(step.delayMs, undefined, { signal: gone.signal }).catch(() => {});
    if (res.destroyed) return sent('dropped'); // the caller gave up (timeout or cancel)
    switch (step.kind) {
      case 'drop':
        req.socket.destroy();
        return sent('dropped');
      case 'error': {
        const key = keyOf(o.kind, req) ?? '';
        const message = (step.message ?? defaultMessage(step.status)) + (step.echoKey ? ` (key: ${key})` : '');
        const headers: Record<string, string> = {};
        if (step.retryAfter !== undefined) headers['retry-after'] = step.retryAfter;
        if (step.retryAfterMs !== undefined) headers['retry-after-ms'] = step.retryAfterMs;
        return sent(sendError(res, o.kind, step.status, message, headers));
      }
      case 'raw':
        res.writeHead(step.status, { 'content-type': 'application/json' }).end(step.body);
        return sent(step.status);
      case 'answer':
      case 'broken': {
        n++;
        const full = route.answer(body, step.kind === 'answer' ? step : { kind: 'answer', text: step.text }, n, created);
        if (body.stream !== true) return sent(sendJson(res, 200, full, {}));
        const sse = route.stream(full, body);
        if (step.kind === 'answer') return sent(await sendEvents(res, [...sse.head, ...sse.deltas, ...sse.tail], gone.signal, { delayMs: step.chunkDelayMs ?? 0, after: sse.head.length }));
        const status = await sendEvents(res, [...sse.head, ...sse.deltas.slice(0, step.afterDeltas), ...(step.then === 'error' ? [sse.error(step.message ?? 'Overloaded')] : [])], gone.signal, { end: step.then !== 'drop' });
        if (step.then === 'drop') req.socket.destroy();
        return sent(step.then === 'drop' ? 'dropped' : status);
      }
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }));

  return {
    kind: o.kind,
    url: `http://127.0.0.1:${port}${o.kind === 'openai' ? '/v1' : ''}`,
    calls,
    callsWith: (marker) => calls.filter((c) => JSON.stringify(c.body).includes(marker)),
    plan: (marker, ...steps) => void plans.push({ marker, steps }),
    setDefault: (step) => void (fallback = step),
    reset: () => {
      plans = [];
      fallback = answer();
      calls.length = 0;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

type Answerer = (body: any, step: Extract<Step, { kind: 'answer' }>, n: number, created: number) => any;

/** A whole answer as server-sent events: what comes before the text, one event a delta, what ends it; and its error event. */
interface Sse {
  head: string[];
  deltas: string[];
  tail: string[];
  error(message: string): string;
}
/** The stream that carries exactly `full` (the unstreamed answer), for the request `body`. */
type Streamer = (full: any, body: any) => Sse;
interface Route {
  answer: Answerer;
  stream: Streamer;
}

function routeOf(kind: FakeKind, method: string | undefined, path: string): Route | null {
  if (method !== 'POST') return null;
  if (kind === 'openai' && path === '/v1/chat/completions') return { answer: chatCompletion, stream: chatStream };
  if (kind === 'openai' && path === '/v1/responses') return { answer: response, stream: responseStream };
  if (kind === 'anthropic' && path === '/v1/messages') return { answer: anthropicMessage, stream: messageStream };
  if (kind === 'anthropic' && path === '/v1/messages/count_tokens') return { answer: anthropicTokenCount, stream: noStream };
  return null;
}

const lastUserText = (turns: any[] | undefined): string => {
  const m = [...(turns ?? [])].reverse().find((t) => t?.role === 'user');
  if (!m) return '';
  return typeof m.content === 'string' ? m.content : (m.content ?? []).map((p: any) => p?.text ?? '').join('');
};
const tokens = (s: string) => Math.max(1, Math.ceil(s.length / 4));
const replyText = (kind: string, step: Extract<Step, { kind: 'answer' }>, prompt: string) => step.text ?? `Fake ${kind} reply to: ${prompt}`;

/** Counting (`/v1/messages/count_tokens`): the system prompt's and every turn's text, 4 characters a token. */
const anthropicTokenCount: Answerer = (body) => {
  const text = (c: any): string => (typeof c === 'string' ? c : Array.isArray(c) ? c.map((p: any) => p?.text ?? '').join('') : '');
  return { input_tokens: tokens([text(body.system), ...(body.messages ?? []).map((m: any) => text(m?.content))].join('')) };
};
const noStream: Streamer = () => {
  throw new Error('this route does not stream');
};

const chatCompletion: Answerer = (body, step, n, created) => {
  const prompt = lastUserText(body.messages);
  const text = replyText('openai', step, prompt);
  const input = tokens(JSON.stringify(body.messages ?? []));
  return {
    id: `chatcmpl-fake${n}`,
    object: 'chat.completion',
    created,
    model: body.model,
    choices: [{
      index: 0,
      message: step.toolCalls
        ? { role: 'assistant', content: null, refusal: null, tool_calls: step.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })) }
        : { role: 'assistant', content: text, refusal: null },
      logprobs: null,
      finish_reason: step.toolCalls ? 'tool_calls' : step.finish === 'length' ? 'length' : 'stop',
    }],
    usage: { prompt_tokens: input, completion_tokens: tokens(text), total_tokens: input + tokens(text) },
    system_fingerprint: null,
  };
};

const response: Answerer = (body, step, n, created) => {
  const items = typeof body.input === 'string' ? [{ role: 'user', content: body.input }] : body.input;
  const text = replyText('openai-responses', step, lastUserText(items));
  const input = tokens(JSON.stringify(body.input ?? '') + (body.instructions ?? ''));
  const cut = step.finish === 'length';
  return {
    id: `resp_fake${n}`,
    object: 'response',
    created_at: created,
    status: cut ? 'incomplete' : 'completed',
    incomplete_details: cut ? { reason: 'max_output_tokens' } : null,
    error: null,
    model: body.model,
    instructions: body.instructions ?? null,
    output: step.toolCalls
      ? step.toolCalls.map((c, i) => ({ type: 'function_call', id: `fc_fake${n}_${i}`, call_id: c.id, name: c.name, arguments: c.arguments, status: 'completed' }))
      : [{ type: 'message', id: `msg_fake${n}`, status: cut ? 'incomplete' : 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] }],
    usage: { input_tokens: input, input_tokens_details: { cached_tokens: 0 }, output_tokens: tokens(text), output_tokens_details: { reasoning_tokens: 0 }, total_tokens: input + tokens(text) },
  };
};

const anthropicMessage: Answerer = (body, step, n) => {
  const text = replyText('anthropic', step, lastUserText(body.messages));
  const stopReason = step.toolCalls ? 'tool_use' : step.finish === 'length' ? 'max_tokens' : step.finish === 'stop_sequence' ? 'stop_sequence' : 'end_turn';
  // with tool calls, text only when the step gives some (as Claude may say something before calling)
  const content = [
    ...(step.thinking ?? []),
    ...(step.toolCalls
      ? [...(step.text ? [{ type: 'text', text }] : []), ...step.toolCalls.map((c) => ({ type: 'tool_use', id: c.id, name: c.name, input: JSON.parse(c.arguments), [RAW]: c.arguments }))]
      : [{ type: 'text', text }]),
  ];
  return {
    id: `msg_fake${n}`,
    type: 'message',
    role: 'assistant',
    model: body.model,
    content,
    stop_reason: stopReason,
    stop_sequence: stopReason === 'stop_sequence' ? (step.stopSequence ?? body.stop_sequences?.[0] ?? null) : null,
    usage: { input_tokens: tokens(JSON.stringify(body.messages ?? []) + (body.system ?? '')), output_tokens: tokens(text) },
  };
};

/** The text in pieces, one word each (with the space after it): joined, exactly the text. */
const pieces = (text: string): string[] => text.split(/(?<=\s)(?=\S)/).filter((w) => w !== '');
/** A call's arguments in two pieces or more (words, or halves when there is no space): joined, exactly the text. */
const argPieces = (args: string): string[] => {
  const w = pieces(args);
  if (w.length >= 2 || args.length < 2) return w;
  return [args.slice(0, Math.ceil(args.length / 2)), args.slice(Math.ceil(args.length / 2))];
};
/** A tool_use block's arguments as the step wrote them (sent in its stream's pieces; left out of JSON answers). */
const RAW = Symbol('raw arguments');
const data = (o: unknown) => `data: ${typeof o === 'string' ? o : JSON.stringify(o)}\n\n`;

const chatStream: Streamer = (c, body) => {
  const usage = body.stream_options?.include_usage === true;
  const chunk = (choices: unknown[], extra: object = {}) =>
    data({ id: c.id, object: 'chat.completion.chunk', created: c.created, model: c.model, system_fingerprint: null, choices, ...(usage ? { usage: null } : {}), ...extra });
  const choice = (delta: object, finish_reason: string | null = null) => ({ index: 0, delta, logprobs: null, finish_reason });
  return {
    head: [chunk([choice({ role: 'assistant', content: '', refusal: null })])],
    deltas: [
      ...pieces(c.choices[0].message.content ?? '').map((t) => chunk([choice({ content: t })])),
      // OpenAI's way: the first fragment of a call has its id, type, name and arguments '', the next ones pieces of its arguments
      ...(c.choices[0].message.tool_calls ?? []).flatMap((t: any, index: number) => [
        chunk([choice({ tool_calls: [{ index, id: t.id, type: 'function', function: { name: t.function.name, arguments: '' } }] })]),
        ...argPieces(t.function.arguments).map((a) => chunk([choice({ tool_calls: [{ index, function: { arguments: a } }] })])),
      ]),
    ],
    tail: [chunk([choice({}, c.choices[0].finish_reason)]), ...(usage ? [chunk([], { usage: c.usage })] : []), data('[DONE]')],
    error: (message) => data({ error: { message, type: 'server_error', param: null, code: null } }),
  };
};

const responseStream: Streamer = (r) => {
  let seq = 0;
  const ev = (type: string, o: object) => `event: ${type}\n${data({ type, sequence_number: seq++, ...o })}`;
  const running = { ...r, status: 'in_progress', incomplete_details: null, output: [], usage: null };
  const created = [ev('response.created', { response: running }), ev('response.in_progress', { response: running })];
  const error = (message: string) => ev('response.failed', { response: { ...running, status: 'failed', error: { code: 'server_error', message } } });
  if (r.output[0]?.type === 'function_call') {
    // each call: output_item.added (arguments ''), function_call_arguments.delta pieces, .done, output_item.done
    const deltas: string[] = [];
    const ends: string[][] = [];
    for (const [output_index, item] of r.output.entries()) {
      const at = { item_id: item.id, output_index };
      deltas.push(
        ...ends.splice(0).flat(),
        ev('response.output_item.added', { output_index, item: { ...item, status: 'in_progress', arguments: '' } }),
        ...argPieces(item.arguments).map((delta) => ev('response.function_call_arguments.delta', { ...at, delta })),
      );
      ends.push([ev('response.function_call_arguments.done', { ...at, name: item.name, arguments: item.arguments }), ev('response.output_item.done', { output_index, item })]);
    }
    return { head: created, deltas, tail: [...ends.flat(), ev('response.completed', { response: r })], error };
  }
  const item = r.output[0];
  const text = item.content[0].text;
  const at = { item_id: item.id, output_index: 0, content_index: 0 };
  return {
    head: [
      ...created,
      ev('response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', content: [] } }),
      ev('response.content_part.added', { ...at, part: { type: 'output_text', text: '', annotations: [] } }),
    ],
    deltas: pieces(text).map((delta) => ev('response.output_text.delta', { ...at, delta, logprobs: [] })),
    tail: [
      ev('response.output_text.done', { ...at, text, logprobs: [] }),
      ev('response.content_part.done', { ...at, part: item.content[0] }),
      ev('response.output_item.done', { output_index: 0, item }),
      ev(r.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response: r }),
    ],
    error,
  };
};

const messageStream: Streamer = (m) => {
  const ev = (type: string, o: object = {}) => `event: ${type}\n${data({ type, ...o })}`;
  const thoughts = m.content.filter((b: { type: string }) => b.type === 'thinking' || b.type === 'redacted_thinking');
  const calls = m.content.filter((b: { type: string }) => b.type === 'tool_use');
  const text = m.content.find((b: { type: string }) => b.type === 'text')?.text;
  const hasText = text !== undefined || calls.length === 0;
  // In the message's order: each thinking block (opened with thinking '' and signature '', thinking_delta pieces, one
  // signature_delta; a redacted one whole in its start), the text block (when there is one, or no call), then a
  // tool_use block per call (input {}, input_json_delta pieces).
  const blocks: { start: object; deltas: object[] }[] = [
    ...thoughts.map((t: any) => (t.type === 'thinking'
      ? { start: { type: 'thinking', thinking: '', signature: '' }, deltas: [...pieces(t.thinking).map((thinking) => ({ type: 'thinking_delta', thinking })), { type: 'signature_delta', signature: t.signature }] }
      : { start: t, deltas: [] })),
    ...(hasText ? [{ start: { type: 'text', text: '' }, deltas: pieces(text ?? '').map((t) => ({ type: 'text_delta', text: t })) }] : []),
    ...calls.map((b: any) => {
      const { [RAW]: raw, input, ...block } = b;
      return { start: { ...block, input: {} }, deltas: argPieces(raw ?? JSON.stringify(input)).map((partial_json) => ({ type: 'input_json_delta', partial_json })) };
    }),
  ];
  const startOf = (index: number) => ev('content_block_start', { index, content_block: blocks[index].start });
  const textFirst = hasText && thoughts.length === 0; // its start comes before the ping, the rest with the deltas
  const deltas = blocks.flatMap((b, index) => [
    ...(index > 0 ? [ev('content_block_stop', { index: index - 1 })] : []),
    ...(index === 0 && textFirst ? [] : [startOf(index)]),
    ...b.deltas.map((delta) => ev('content_block_delta', { index, delta })),
  ]);
  return {
    head: [
      ev('message_start', { message: { ...m, content: [], stop_reason: null, stop_sequence: null, usage: { ...m.usage, output_tokens: 1 } } }),
      ...(textFirst ? [startOf(0)] : []),
      ev('ping'),
    ],
    deltas,
    tail: [
      ev('content_block_stop', { index: blocks.length - 1 }),
      ev('message_delta', { delta: { stop_reason: m.stop_reason, stop_sequence: m.stop_sequence }, usage: { output_tokens: m.usage.output_tokens } }),
      ev('message_stop'),
    ],
    error: (message) => ev('error', { error: { type: 'overloaded_error', message } }),
  };
};

/**
 * Writes the events, each in two writes (a reader must put an event together across reads), `delayMs` apart from the
 * one after index `after` on (the first delta comes at once); ends the response unless `end` is false (the caller then
 * drops the connection). 'dropped' when the caller went away.
 */
async function sendEvents(res: ServerResponse, events: string[], gone: AbortSignal, o: { delayMs?: number; after?: number; end?: boolean } = {}): Promise<number | 'dropped'> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const [i, e] of events.entries()) {
    if (i > (o.after ?? 0) && o.delayMs) await sleep(o.delayMs, undefined, { signal: gone }).catch(() => {});
    if (res.destroyed) return 'dropped';
    const half = Math.floor(e.length / 2);
    res.write(e.slice(0, half));
    await new Promise((written) => res.write(e.slice(half), written)); // on the wire before a drop that may follow
  }
  if (o.end ?? true) res.end();
  return 200;
}

function keyOf(kind: FakeKind, req: IncomingMessage): string | undefined {
  if (kind === 'anthropic') return req.headers['x-api-key'] as string | undefined;
  return (req.headers.authorization as string | undefined)?.replace(/^Bearer /, '');
}

function checkAuth(o: FakeUpstreamOptions, req: IncomingMessage): { status: number; message: string } | null {
  if (o.kind === 'anthropic' && !req.headers['anthropic-version']) return { status: 400, message: 'anthropic-version: header is required' };
  if (o.apiKey === undefined) return null;
  const key = keyOf(o.kind, req);
  if (key === o.apiKey) return null;
  return o.kind === 'anthropic'
    ? { status: 401, message: 'invalid x-api-key' }
    : { status: 401, message: `Incorrect API key provided: ${key ?? ''}. You can find your API key at https://platform.openai.com/account/api-keys.` };
}

const anthropicTypes: Record<number, string> = {
  400: 'invalid_request_error', 401: 'authentication_error', 403: 'permission_error', 404: 'not_found_error',
  413: 'request_too_large', 429: 'rate_limit_error', 500: 'api_error', 529: 'overloaded_error',
};

function defaultMessage(status: number): string {
  if (status === 429) return 'Rate limit reached for requests';
  if (status === 529) return 'Overloaded';
  if (status >= 500) return 'The server had an error while processing your request.';
  return 'Invalid request.';
}

function sendError(res: ServerResponse, kind: FakeKind, status: number, message: string, headers: Record<string, string>): number {
  const body = kind === 'anthropic'
    ? { type: 'error', error: { type: anthropicTypes[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error'), message } }
    : {
        error: {
          message,
          type: status === 429 ? 'requests' : status >= 500 ? 'server_error' : 'invalid_request_error',
          param: null,
          code: status === 401 ? 'invalid_api_key' : status === 429 ? 'rate_limit_exceeded' : null,
        },
      };
  return sendJson(res, status, body, headers);
}

function sendJson(res: ServerResponse, status: number, body: object, headers: Record<string, string>): number {
  if (!res.destroyed) res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  return status;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', () => resolve(Buffer.concat(parts).toString('utf8')));
  });
}

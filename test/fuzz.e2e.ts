import { connect } from 'node:net';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/nats-core';
import { connect as natsConnect } from '@nats-io/transport-node';
import { ApiVerbs, names, type ApiVerb } from '@reqrun/contracts';
import { startMesh, type Mesh } from '@reqrun/testing';
import { parseJsonBody } from '../apps/ingress/src/security/json-body.js';

/**
 * Fuzz every endpoint with random and malformed bodies, headers and ids for a bounded time: no 5xx, no crash (every
 * app is still up and ready afterwards), and every error in its API's envelope (Anthropic's under /v1/messages,
 * OpenAI's everywhere else). The NATS-native API (`rr.api.v1.*`) gets the same: every request answered with a
 * `{status, headers, body}` whose status is no 5xx and whose error is in its API's envelope. Valid requests may
 * succeed, and every one the fuzz got an id for must have been started or ended by the end. Seeded: FUZZ_SEED=<n>
 * replays a run (the seed is printed, and a failure shows the input). FUZZ_MS bounds the run (default 20 s).
 */
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const BUDGET_MS = Number(process.env.FUZZ_MS ?? 20_000);
const WORKERS = 12;

let mesh: Mesh;
let nc: NatsConnection;

beforeAll(async () => {
  mesh = await startMesh({
    // Short waits: a valid request answers within a second or two (200, or 202 when it is slower).
    config: { wait: { default_s: 1, max_s: 2, sync_s: 1 }, retry: { max_attempts: 2, base_delay_ms: 10, max_delay_ms: 50 } },
  });
  nc = await natsConnect({ servers: mesh.nats.url });
});
afterAll(async () => {
  await nc?.close();
  await mesh?.stop();
});

// ---------- a seeded PRNG (mulberry32) ----------
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  return { next, int, pick, chance: (p: number) => next() < p };
}
type Rng = ReturnType<typeof prng>;

// ---------- inputs ----------
const deep = (depth: number, leaf: unknown, asArray: boolean): unknown => {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = asArray ? [v] : { a: v };
  return v;
};
const protoKeys = () => JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"prototype":1}');

function weirdString(r: Rng): string {
  switch (r.int(12)) {
    case 0: return '';
    case 1: return 'x'.repeat(r.pick([1000, 100_000, 1_000_000]));
    case 2: return '\u0000\u0001\u001f\u007f';
    case 3: return 'héllo wörld 你好 🎉🏳️‍🌈 \u202e\u200b\ufeff';
    case 4: return '\ud800\udfff\udc00\ud800'; // lone surrogates
    case 5: return r.pick(['NaN', 'Infinity', '-Infinity', '-0', '1e309', '0x10', '1_000', ' 5 ', 'true', 'null', 'undefined']);
    case 6: return r.pick(['rr_', 'rr_01ARZ3NDEKTSV4RRFFQ69G5FAV', 'rr_' + 'Z'.repeat(26), 'resp_123', '../../etc/passwd', '%00', '${jndi:x}']);
    case 7: return '<script>alert(1)</script>';
    case 8: return Array.from({ length: r.int(40) }, () => String.fromCharCode(r.int(0x10000))).join('');
    case 9: return r.pick(['mock-1', 'gpt-4o', 'claude', 'MOCK-1', 'mock-1 ', 'constructor', '__proto__', 'toString', 'hasOwnProperty', 'asap', 'batch']); // names a plain object has
    case 10: return r.pick(['user', 'assistant', 'system', 'developer', 'tool', 'function', 'USER']);
    default: return String(r.next());
  }
}

function weirdValue(r: Rng, depth = 0): unknown {
  switch (r.int(16)) {
    case 0: return null;
    case 1: return r.pick([true, false]);
    case 2: return r.pick([0, -1, 1, 1.5, -0.0001, 2 ** 31, 2 ** 53 + 1, 1e308, -1e308, Number.MAX_VALUE, Number.MIN_VALUE]);
    case 3: return weirdString(r);
    case 4: return [];
    case 5: return {};
    case 6: return depth < 3 ? Array.from({ length: r.int(4) }, () => weirdValue(r, depth + 1)) : [1, 'a'];
    case 7: return depth < 3 ? Object.fromEntries(Array.from({ length: r.int(4) }, () => [weirdString(r).slice(0, 20), weirdValue(r, depth + 1)])) : { a: 1 };
    case 8: return deep(r.pick([10, 100, 1000]), r.pick([1, 'x', null, {}]), r.chance(0.5));
    case 9: return protoKeys();
    case 10: return Array.from({ length: r.pick([1000, 20_000]) }, (_, i) => i);
    case 11: return { role: weirdString(r), content: weirdValue(r, depth + 1) };
    case 12: return [{ type: weirdString(r), text: weirdValue(r, depth + 1) }];
    case 13: return r.pick(['true', 'false', '1', '0', 'yes']);
    case 14: return r.pick([-5, 0, 0.001, 3, 601, 1e9, -1e9]);
    default: return weirdString(r);
  }
}

const msgs = [{ role: 'user', content: 'hi' }];
const bases = {
  chat: (): Record<string, unknown> => ({ model: 'mock-1', messages: structuredClone(msgs), wait: true, wait_timeout: 1, metadata: { mock_latency_ms: '0' }, temperature: 0.5, max_tokens: 16, stop: ['x'], completion_window: 'asap', idempotency_key: 'k', stream: false, n: 1, user: 'u', tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { a: { type: 'string' } } } } }], tool_choice: 'auto', response_format: { type: 'text' } }),
  responses: (): Record<string, unknown> => ({ model: 'mock-1', input: 'hi', instructions: 'be brief', background: false, max_output_tokens: 16, metadata: { a: 'b' }, previous_response_id: 'rr_01ARZ3NDEKTSV4RRFFQ69G5FAV', temperature: 1, wait: true, wait_timeout: 1, store: true, text: { format: { type: 'text' } } }),
  messages: (): Record<string, unknown> => ({ model: 'mock-1', max_tokens: 16, messages: structuredClone(msgs), system: [{ type: 'text', text: 'be brief' }], stop_sequences: ['x'], temperature: 0.5, metadata: { user_id: 'u' }, wait: true, wait_timeout: 1, top_k: 1 }),
};

/** Every path into an object (to replace, delete or add at), the root included as []. */
function paths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (out.length > 200) return out;
  if (Array.isArray(v)) for (let i = 0; i < v.length; i++) paths(v[i], [...prefix, i], out);
  else if (v && typeof v === 'object') for (const k of Object.keys(v)) paths((v as any)[k], [...prefix, k], out);
  return out;
}

function mutate(r: Rng, body: Record<string, unknown>): unknown {
  let root: unknown = body;
  for (let n = 1 + r.int(3); n > 0; n--) {
    const ps = paths(root);
    const p = r.pick(ps);
    if (p.length === 0) {
      if (r.chance(0.3)) root = r.chance(0.5) ? [root] : weirdValue(r);
      continue;
    }
    const parent = p.slice(0, -1).reduce((o: any, k) => o?.[k], root) as any;
    const key = p[p.length - 1];
    if (!parent || typeof parent !== 'object') continue;
    switch (r.int(4)) {
      case 0: delete parent[key]; break;
      case 1: // an own property, even when it is called __proto__
        Object.defineProperty(parent, r.pick(['__proto__', 'constructor', '', 'a.b', '💥', 'x'.repeat(300), 'wait', 'stream', 'model']), { value: weirdValue(r), enumerable: true, writable: true, configurable: true });
        break;
      default: parent[key] = weirdValue(r);
    }
  }
  return root;
}

type Case = { method: string; path: string; headers: Record<string, string>; body?: Buffer | string };

const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'application/json; charset=utf-16', 'text/plain', 'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x', 'application/vnd.api+json', 'application/json, text/plain', 'application/jsonx', '*/*', ';;;', 'APPLICATION/JSON'];
const junkId = (r: Rng) => encodeURIComponent(weirdString(r).slice(0, 2000).replace(/[\ud800-\udfff]/g, '\ufffd')) || 'x';
const rawId = (r: Rng) => r.pick(['%', '%zz', '%E0%A4%A', '..', '.', 'rr_%00', '%2F%2F', '~', 'a b'.replace(' ', '%20'), '%F0%9F%98%80']);

function headersFor(r: Rng, path: string): Record<string, string> {
  const h: Record<string, string> = {};
  if (r.chance(0.85)) h['content-type'] = r.chance(0.7) ? 'application/json' : r.pick(CONTENT_TYPES);
  const latin = () => Array.from({ length: r.int(60) }, () => String.fromCharCode(0x20 + r.int(0x5f))).join('');
  if (r.chance(0.3)) h['idempotency-key'] = r.pick([latin(), `"${latin()}"`, '', 'x'.repeat(5000), 'k']);
  if (r.chance(0.3)) h.prefer = r.pick(['respond-async', 'wait=0', 'wait=1', 'wait=-1', 'wait=abc', 'wait=1e309', 'wait=0.5, respond-async', 'wait=', latin()]);
  if (r.chance(0.2)) h.authorization = r.pick(['Bearer ', 'Bearer dev', 'Basic xxx', latin()]);
  if (path.startsWith('/v1/messages') && r.chance(0.5)) h['x-api-key'] = r.pick(['dev', '', latin()]);
  if (path.startsWith('/v1/messages') && r.chance(0.5)) h['anthropic-version'] = r.pick(['2023-06-01', 'yesterday', '']);
  if (r.chance(0.1)) h.accept = r.pick(['text/event-stream', 'application/xml', latin()]);
  if (r.chance(0.05)) h['x-request-id'] = latin();
  return h;
}

const json = (v: unknown): string => {
  try {
    return JSON.stringify(v) ?? '1';
  } catch {
    return '1';
  }
};

/** A valid body's JSON text, or that text broken: truncated, a duplicate key, invalid UTF-8, junk bytes, empty. */
function serialize(r: Rng, v: unknown): Buffer | string {
  const text = json(v);
  switch (r.int(14)) {
    case 0: return text.slice(0, r.int(text.length)); // truncated
    case 1: return text.startsWith('{') ? `{"model":${json(weirdValue(r))},` + text.slice(1) : text; // duplicate key (the first one)
    case 2: return text.endsWith('}') ? text.slice(0, -1) + `,"model":${json(weirdValue(r))}}` : text; // duplicate key (the last one)
    case 7: { // nesting deeper than any recursive walk of it can go
      const d = r.pick([5000, 20_000, 200_000]);
      const [open, close] = r.chance(0.5) ? ['[', ']'] : ['{"a":', '}'];
      const at = r.pick(['"metadata":', '"messages":', '"input":', '"x":', '"model":']);
      return text.endsWith('}') ? text.slice(0, -1) + `,${at}${open.repeat(d)}1${close.repeat(d)}}` : text;
    }
    case 3: { // invalid UTF-8 bytes inside the JSON
      const b = Buffer.from(text);
      const at = r.int(b.length + 1);
      return Buffer.concat([b.subarray(0, at), Buffer.from(r.pick([[0xff], [0xc3, 0x28], [0xe2, 0x82], [0xf0, 0x28, 0x8c, 0xbc], [0xed, 0xa0, 0x80]])), b.subarray(at)]);
    }
    case 4: return Buffer.from(Array.from({ length: r.int(2000) }, () => r.int(256))); // junk bytes
    case 5: return r.pick(['', ' ', 'null', '[]', '0', '"str"', 'true', '{}', '{', '}', '{"a":}', "{'model':'mock-1'}", '{"model":"mock-1",}', 'NaN', '\ufeff{}']);
    case 6: return '\ufeff' + text; // byte order mark
    default: return text;
  }
}

const CREATE = ['/v1/chat/completions', '/v1/responses', '/v1/messages'] as const;

function makeCase(r: Rng, known: string[]): Case {
  const id = () => {
    // Draws the same numbers whatever `known` holds (it depends on timing), so a seed replays the same inputs.
    const [useKnown, k, raw, junk, rawOne] = [r.chance(0.3), r.int(1e9), r.chance(0.2), junkId(r), rawId(r)];
    return useKnown && known.length ? known[k % known.length] : raw ? rawOne : junk;
  };
  const kind = r.int(23);
  if (kind === 20) return { method: 'POST', path: '/v1/batches', headers: headersFor(r, '/v1/batches'), body: serialize(r, mutate(r, batchBase(r, id()))) };
  if (kind === 21) return upload(r);
  if (kind === 22) {
    const body = { requests: [{ custom_id: r.pick(['a', 'a b', '', 'x'.repeat(65)]), params: bases.messages() }, { custom_id: 'b', params: bases.messages() }] };
    return { method: 'POST', path: '/v1/messages/batches', headers: headersFor(r, '/v1/messages/batches'), body: serialize(r, mutate(r, body)) };
  }
  if (kind < 12) {
    const path = CREATE[kind % 3] + (r.chance(0.05) ? r.pick(['?x=1', '?stream=true', '/', '?' + junkId(r)]) : '');
    const base = (kind % 3 === 0 ? bases.chat : kind % 3 === 1 ? bases.responses : bases.messages)();
    const body = r.chance(0.1) ? base : mutate(r, base);
    const headers = headersFor(r, path);
    return { method: r.chance(0.97) ? 'POST' : r.pick(['PUT', 'PATCH', 'GET', 'DELETE']), path, headers, body: serialize(r, body) };
  }
  const idPaths: [string, string][] = [
    ['GET', `/v1/responses/${id()}`], ['GET', `/v1/responses/${id()}?stream=${r.pick(['true', 'false', 'x'])}&starting_after=${r.pick(['0', '-1', 'abc', '1e99'])}`],
    ['GET', `/v1/responses/${id()}/input_items?limit=${r.pick(['1', '0', '100', '101', 'x'])}&order=${r.pick(['asc', 'desc', 'up'])}&after=${r.pick(['', 'msg_x', junkId(r)])}`],
    ['POST', `/v1/responses/${id()}/cancel`], ['DELETE', `/v1/responses/${id()}`], ['GET', `/v1/requests/${id()}`], ['POST', `/v1/requests/${id()}/cancel`],
    ['GET', `/v1/models/${id()}`], ['GET', `/v1/models${r.pick(['', '?limit=-1', '?after=' + junkId(r)])}`], ['GET', '/v1/requests'],
    ['GET', `/v1/requests?${listQuery(r, id())}`],
    ['GET', `/v1/files?${pageQuery(r, id())}${r.chance(0.5) ? `&purpose=${r.pick(['batch', 'batch_output', 'fine-tune', '', junkId(r)])}` : ''}`],
    ['GET', `/v1/files/${id()}`], ['GET', `/v1/files/${id()}/content`], ['DELETE', `/v1/files/${id()}`],
    ['GET', `/v1/batches/${id()}`], ['POST', `/v1/batches/${id()}/cancel`], ['GET', `/v1/batches?${pageQuery(r, id())}`],
    ['GET', '/v1/webhooks'], ['POST', `/v1/webhooks/${id()}/enable`],
    ['GET', `/v1/messages/batches/${id()}`], ['GET', `/v1/messages/batches/${id()}/results`], ['POST', `/v1/messages/batches/${id()}/cancel`],
    ['DELETE', `/v1/messages/batches/${id()}`], ['GET', `/v1/messages/batches?${anthropicPageQuery(r, id())}`],
    [r.pick(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']), r.pick(['/', '/v1', '/v2/chat', `/v1/${junkId(r)}`, '/v1/messages/count_tokens', '/v1/messages/' + junkId(r), '/v1/chat/completions/x', '/v1/files', '/v1/batches'])],
  ];
  const [method, path] = r.pick(idPaths);
  const headers = headersFor(r, path);
  const withBody = method === 'POST' || method === 'DELETE' || method === 'PUT' || method === 'PATCH' ? r.chance(0.5) : r.chance(0.05);
  return { method, path, headers, body: withBody ? serialize(r, weirdValue(r)) : undefined };
}

/** A list's paging query (files, batches): some parameters, each valid or not. */
function pageQuery(r: Rng, after: string): string {
  const q = new URLSearchParams();
  if (r.chance(0.5)) q.set('limit', r.pick(['1', '20', '100', '0', '101', '10001', 'x', '-1', '1e2']));
  if (r.chance(0.3)) q.set('order', r.pick(['asc', 'desc', 'up']));
  if (r.chance(0.4)) q.set('after', after);
  return q.toString();
}

/** Anthropic's paging query (message batches): some parameters, each valid or not. */
function anthropicPageQuery(r: Rng, id: string): string {
  const q = new URLSearchParams();
  if (r.chance(0.5)) q.set('limit', r.pick(['1', '20', '1000', '0', '1001', 'x', '-1']));
  if (r.chance(0.3)) q.set('after_id', id);
  if (r.chance(0.3)) q.set('before_id', id);
  return q.toString();
}

/** `POST /v1/batches`' body before mutation: a file id (one the fuzz got, or junk) and valid fields. */
const batchBase = (r: Rng, fileId: string): Record<string, unknown> => ({
  input_file_id: r.chance(0.5) ? fileId : `file-${'a'.repeat(24)}`, endpoint: r.pick(['/v1/chat/completions', '/v1/responses', '/v1/embeddings']),
  completion_window: r.pick(['24h', '24h', '1h']), metadata: { a: 'b' },
});

/** `POST /v1/files`: a multipart upload, well formed or not (boundary, parts, purpose, file name and content). */
function upload(r: Rng): Case {
  const boundary = `fz${r.int(1e9)}`;
  const line = JSON.stringify({ custom_id: 'c', method: 'POST', url: '/v1/chat/completions', body: { model: 'mock-1', messages: msgs } });
  const content = r.pick([`${line}\n`, '', weirdString(r), Buffer.from(Array.from({ length: r.int(3000) }, () => r.int(256))).toString('latin1')]);
  const parts: string[] = [];
  if (r.chance(0.85)) parts.push(`Content-Disposition: form-data; name="purpose"\r\n\r\n${r.pick(['batch', 'batch', 'fine-tune', '', weirdString(r).slice(0, 100)])}`);
  if (r.chance(0.85)) {
    const name = r.pick(['in.jsonl', '', '../../x', weirdString(r).slice(0, 50).replace(/["\r\n]/g, '')]);
    parts.push(`Content-Disposition: form-data; name="${r.pick(['file', 'file', 'files', ''])}"; filename="${name}"\r\nContent-Type: ${r.pick(['application/jsonl', 'application/octet-stream', ''])}\r\n\r\n${content}`);
  }
  if (r.chance(0.1)) parts.push(`Content-Disposition: form-data; name="file"; filename="again.jsonl"\r\n\r\n${line}`);
  let body = parts.map((p) => `--${boundary}\r\n${p}\r\n`).join('') + (r.chance(0.9) ? `--${boundary}--\r\n` : '');
  if (r.chance(0.1)) body = body.slice(0, r.int(body.length));
  const headers = headersFor(r, '/v1/files');
  headers['content-type'] = r.chance(0.85) ? `multipart/form-data; boundary=${r.chance(0.9) ? boundary : 'other'}` : r.pick(CONTENT_TYPES);
  return { method: 'POST', path: '/v1/files', headers, body: Buffer.from(body, 'latin1') };
}

/** `GET /v1/requests`' query: some parameters, each valid or not. */
function listQuery(r: Rng, after: string): string {
  const q = new URLSearchParams();
  if (r.chance(0.5)) q.set('limit', r.pick(['1', '100', '0', '101', 'x', '-1', '1e2']));
  if (r.chance(0.5)) q.set('order', r.pick(['asc', 'desc', 'up']));
  if (r.chance(0.4)) q.set('after', after);
  if (r.chance(0.4)) q.set('status', r.pick(['completed', 'failed', 'queued', 'done', 'toString']));
  if (r.chance(0.3)) q.set('completion_window', r.pick(['asap', 'now', 'batch', 'soon', '__proto__']));
  if (r.chance(0.3)) q.set('model', r.pick(['mock-1', 'constructor', '']));
  if (r.chance(0.1)) q.append('status', 'failed');
  return q.toString();
}

/** A NATS-native API request: a verb's envelope around a (mutated) body, or junk, with or without a key. */
type NatsCase = { verb: ApiVerb; key?: string; data: Buffer | string; anthropic: boolean };

function makeNatsCase(r: Rng, known: string[]): NatsCase {
  const verb = r.pick(ApiVerbs);
  const key = r.chance(0.8) ? 'dev' : r.pick([undefined, '', 'nope', 'x'.repeat(300)]);
  const api = r.chance(0.9) ? r.pick(['chat', 'responses', 'messages'] as const) : weirdValue(r);
  let payload: unknown;
  if (verb === 'submit') {
    const body = typeof api === 'string' && api in bases ? bases[api as keyof typeof bases]() : weirdValue(r);
    payload = { api, body: r.chance(0.2) || !body || typeof body !== 'object' ? body : mutate(r, body as Record<string, unknown>), ...(r.chance(0.3) ? { wait: weirdValue(r) } : {}) };
  } else if (verb === 'count_tokens') {
    payload = { body: mutate(r, { model: 'mock-1', messages: structuredClone(msgs), system: 'be brief' }) };
  } else if (verb === 'list') {
    payload = Object.fromEntries(new URLSearchParams(listQuery(r, r.chance(0.4) && known.length ? known[r.int(known.length)] : json(weirdValue(r)))));
    if (r.chance(0.3)) payload = { ...(payload as object), limit: weirdValue(r) };
  } else if (verb === 'list_webhooks') {
    payload = r.chance(0.7) ? {} : weirdValue(r);
  } else {
    payload = { id: r.chance(0.4) && known.length ? known[r.int(known.length)] : weirdValue(r) };
  }
  if (r.chance(0.15)) payload = mutate(r, { x: payload });
  const data = serialize(r, payload);
  // The server answers in Anthropic's envelope for count_tokens, and for a submit whose api it read as "messages".
  const read = (() => {
    try {
      return parseJsonBody(Buffer.from(data), Infinity) as { api?: unknown } | null;
    } catch {
      return null;
    }
  })();
  return { verb, key, data, anthropic: verb === 'count_tokens' || (verb === 'submit' && read?.api === 'messages') };
}

const describeCase = (c: Case) =>
  `${c.method} ${c.path.slice(0, 300)} headers=${JSON.stringify(c.headers).slice(0, 300)} body=${c.body === undefined ? '(none)' : Buffer.isBuffer(c.body) ? `base64:${c.body.toString('base64').slice(0, 400)}` : JSON.stringify(c.body.slice(0, 400))}${c.body && c.body.length > 400 ? `… (${c.body.length} bytes)` : ''}`;

/** What is wrong with an answer: a 5xx, or an error not in its API's envelope; null when fine. */
function problem(c: Case, status: number, text: string): string | null {
  if (status >= 500) return `status ${status}: ${text.slice(0, 300)}`;
  if (status < 400 || c.method === 'HEAD') return null;
  let j: any;
  try {
    j = JSON.parse(text);
  } catch {
    return `status ${status} with a body that is not JSON: ${text.slice(0, 200)}`;
  }
  const anthropic = /^\/v1\/messages(?:[/?]|$)/.test(c.path);
  const ok = anthropic
    ? j?.type === 'error' && typeof j.error?.type === 'string' && typeof j.error?.message === 'string'
    : j && typeof j.error === 'object' && typeof j.error.message === 'string' && typeof j.error.type === 'string' &&
      'param' in j.error && 'code' in j.error && (j.error.param === null || typeof j.error.param === 'string') && (j.error.code === null || typeof j.error.code === 'string');
  return ok ? null : `status ${status} not in the ${anthropic ? 'Anthropic' : 'OpenAI'} envelope: ${text.slice(0, 300)}`;
}

/** Raw bytes on a socket (broken request lines, bad framing): the server may refuse them however it likes, but not with a 5xx or a crash. */
function rawExchange(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    const done = () => { s.destroy(); resolve(got); };
    s.setTimeout(3000, done);
    s.on('data', (d) => { got += d.toString('latin1'); });
    s.on('error', done);
    s.on('close', done);
    s.on('connect', () => s.end(bytes));
  });
}

it(`answers thousands of random and malformed requests without a 5xx, a crash or a wrong envelope (seed ${SEED})`, async () => {
  console.log(`fuzz seed ${SEED} (replay with FUZZ_SEED=${SEED})`);
  const failures: string[] = [];
  const known: string[] = [];
  const statuses: Record<string, number> = {};
  let count = 0;
  const until = Date.now() + BUDGET_MS;

  const worker = async (w: number) => {
    const r = prng(SEED + w); // one stream per worker: a worker's inputs do not depend on the others' timing
    for (let i = 0; Date.now() < until && failures.length < 20; i++) {
      if (i % 40 === 39) {
        const junk = Buffer.concat([Buffer.from(r.pick(['POST /v1/chat/completions HTTP/1.1\r\n', 'GET /v1/requests/\u0000 HTTP/1.1\r\n', 'XYZ / HTTP/9.9\r\n', '\r\n\r\n', 'POST /v1/messages HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n'])), Buffer.from(Array.from({ length: r.int(300) }, () => r.int(256)))]);
        const answer = await rawExchange(mesh.ingress.port, junk);
        const m = /^HTTP\/1\.\d (\d{3})/.exec(answer);
        if (m && Number(m[1]) >= 500) failures.push(`raw bytes (worker ${w}, case ${i}) answered ${m[1]}: base64:${junk.toString('base64')}`);
        count++;
        continue;
      }
      if (i % 8 === 5) {
        const c = makeNatsCase(r, known);
        const h = natsHeaders();
        if (c.key !== undefined) h.set('Authorization', `Bearer ${c.key}`);
        const what = () => `NATS ${c.verb} (worker ${w}, case ${i}): ${Buffer.isBuffer(c.data) ? `base64:${c.data.toString('base64').slice(0, 400)}` : JSON.stringify(c.data.slice(0, 400))}`;
        let text: string;
        try {
          text = (await nc.request(names('rr').api(c.verb), c.data, { timeout: 20_000, headers: h })).string();
        } catch (e) {
          if (/max_payload|MAX_PAYLOAD/i.test(String((e as Error).message ?? e))) continue; // the client refused to send it
          failures.push(`no reply (${(e as Error).message}): ${what()}`);
          continue;
        }
        count++;
        let reply: { status?: unknown; body?: unknown };
        try {
          reply = JSON.parse(text);
        } catch {
          failures.push(`a reply that is not JSON (${text.slice(0, 200)}): ${what()}`);
          continue;
        }
        const status = typeof reply?.status === 'number' ? reply.status : 0;
        statuses[`nats ${status}`] = (statuses[`nats ${status}`] ?? 0) + 1;
        const p = status === 0 ? `a reply without a status: ${text.slice(0, 200)}` : problem({ method: 'POST', path: c.anthropic ? '/v1/messages' : '/v1/x', headers: {} }, status, JSON.stringify(reply.body));
        if (p) failures.push(`${p}: ${what()}`);
        const id = (reply.body as { id?: unknown } | null)?.id;
        if (status < 300 && typeof id === 'string' && known.length < 500) known.push(id);
        continue;
      }
      const c = makeCase(r, known);
      let status: number;
      let text: string;
      try {
        const res = await fetch(`${mesh.url}${c.path}`, { method: c.method, headers: c.headers, body: c.body, signal: AbortSignal.timeout(20_000) });
        status = res.status;
        text = await res.text();
      } catch (e) {
        const err = e as Error & { cause?: Error };
        if (err.message !== 'fetch failed' && err.name !== 'TimeoutError') continue; // the client refused to send it (e.g. a header it deems invalid)
        failures.push(`no answer (${err.cause?.message ?? err.message}) (worker ${w}, case ${i}): ${describeCase(c)}`);
        continue;
      }
      count++;
      statuses[status] = (statuses[status] ?? 0) + 1;
      const p = problem(c, status, text);
      if (p) failures.push(`${p} (worker ${w}, case ${i}): ${describeCase(c)}`);
      if (status < 300 && known.length < 500) {
        const id = (() => { try { return JSON.parse(text)?.id; } catch { return undefined; } })();
        if (typeof id === 'string') known.push(id);
      }
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
  console.log(`fuzz: ${count} requests in ${BUDGET_MS / 1000} s, statuses ${JSON.stringify(statuses)}`);

  // Nothing accepted is left behind: every request the fuzz got an id for is dispatched (a fuzzed body may ask for a
  // long mock latency, so running is fine), or finished, cancelled or deleted. One that no attempt ever started was
  // accepted on a name ReqRun then could not route (a model called `constructor` once was).
  let neverStarted: string[] = [];
  for (const until = Date.now() + 20_000; Date.now() < until; await new Promise((r) => setTimeout(r, 500))) {
    neverStarted = [];
    for (const id of known) {
      const res = await fetch(`${mesh.url}/v1/requests/${id}`);
      if (res.status !== 200) continue; // deleted through the Responses API
      const r = (await res.json()) as { status: string; attempts: number; model: unknown; completion_window: string };
      if (r.status === 'queued' && r.attempts === 0) neverStarted.push(`${id} (model ${JSON.stringify(r.model)}, window ${r.completion_window})`);
    }
    if (neverStarted.length === 0) break;
  }
  expect(neverStarted).toEqual([]);

  expect(failures.map((f) => `[seed ${SEED}] ${f}`)).toEqual([]);
  expect(count).toBeGreaterThan(1000);
  // No crash: every process is still running and ready.
  for (const a of mesh.apps) {
    expect(a.exited).toBe(false);
    expect((await fetch(`${a.url}/readyz`)).status).toBe(200);
  }
}, 120_000);

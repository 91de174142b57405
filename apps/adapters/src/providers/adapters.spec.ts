import type { ProviderConfig } from '@reqrun/config';
import { tokenCountingTypes, type CanonicalRequest } from '@reqrun/contracts';
import { answer, dropConnection, dropMidStream, errorMidStream, failWith, slow, startFakeUpstream, stopMidStream, type FakeUpstream } from '@reqrun/testing';
import { ProviderError, type CallOptions } from './provider.js';
import { adapterFor } from './provider.registry.js';

const KEY = 'sk-test-0123456789abcdef';
const env = { FAKE_KEY: KEY };
const clock = { now: () => Date.now() };
const provider = (type: 'openai' | 'anthropic', base_url: string, o: Partial<ProviderConfig> = {}): ProviderConfig =>
  ({ name: type, type, base_url, api_key_env: 'FAKE_KEY', concurrency: 1, timeout_ms: 10_000, ...o });
const req: CanonicalRequest = {
  model: 'up-model', system: 'be brief', messages: [{ role: 'user', content: 'hi there' }], max_tokens: 50, temperature: 1.5, stop: ['END'],
};
const opts = (o: { api?: 'chat' | 'responses' | 'messages'; signal?: AbortSignal } = {}) => ({ signal: o.signal ?? new AbortController().signal, attempt: 1, api: o.api ?? 'chat' });
const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a failure'); }, (e) => e as ProviderError);

let openai: FakeUpstream;
let anthropic: FakeUpstream;
beforeAll(async () => {
  openai = await startFakeUpstream({ kind: 'openai', apiKey: KEY });
  anthropic = await startFakeUpstream({ kind: 'anthropic', apiKey: KEY });
});
afterAll(async () => {
  await openai?.close();
  await anthropic?.close();
});
beforeEach(() => {
  openai.reset();
  anthropic.reset();
});

describe('openai adapter', () => {
  const sut = (o: Partial<ProviderConfig> = {}) => adapterFor(provider('openai', openai.url, o), env, clock);

  it('sends chat completions with a bearer key and reads the answer back', async () => {
    const r = await sut().call(req, opts());
    expect(r).toEqual({ model: 'up-model', text: 'Fake openai reply to: hi there', finish_reason: 'stop', usage: { input_tokens: expect.any(Number), output_tokens: expect.any(Number) }, status_code: 200 });
    const [call] = openai.calls;
    expect(call.path).toBe('/v1/chat/completions');
    expect(call.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(call.body).toEqual({
      model: 'up-model', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi there' }], max_completion_tokens: 50, temperature: 1.5, stop: ['END'],
    });
  });

  it('sends Responses requests to /responses when responses_api is set, else translates them to chat', async () => {
    const r = await sut({ responses_api: true }).call(req, opts({ api: 'responses' }));
    expect(r.text).toBe('Fake openai-responses reply to: hi there');
    expect(openai.calls[0]).toMatchObject({ path: '/v1/responses', body: { model: 'up-model', instructions: 'be brief', max_output_tokens: 50 } });
    await sut().call(req, opts({ api: 'responses' }));
    expect(openai.calls[1].path).toBe('/v1/chat/completions');
  });

  it('adds configured headers, query parameters and another key header (Azure-style)', async () => {
    await using azure = await startFakeUpstream({ kind: 'openai' });
    await adapterFor(provider('openai', azure.url, { api_key_header: 'api-key', headers: { 'x-extra': '1' }, query: { 'api-version': '2024-10-21' } }), env, clock).call(req, opts());
    expect(azure.calls[0].path).toBe('/v1/chat/completions?api-version=2024-10-21');
    expect(azure.calls[0].headers).toMatchObject({ 'api-key': KEY, 'x-extra': '1' });
    expect(azure.calls[0].headers.authorization).toBeUndefined();
  });

  it('needs no key for a local server without auth, and sends the token cap as max_tokens when told (Ollama)', async () => {
    await using local = await startFakeUpstream({ kind: 'openai' });
    await adapterFor(provider('openai', local.url, { api_key_env: undefined, max_tokens_field: 'max_tokens' }), {}, clock).call(req, opts());
    expect(local.calls[0].headers.authorization).toBeUndefined();
    expect(local.calls[0].body).toMatchObject({ max_tokens: 50 });
    expect(local.calls[0].body.max_completion_tokens).toBeUndefined();
  });

  it("leaves Anthropic's top_k out, and refuses thinking (terminal, calling nobody)", async () => {
    await sut().call({ ...req, anthropic: { top_k: 3, thinking: { type: 'disabled' } } }, opts({ api: 'messages' }));
    expect(openai.calls[0].body).not.toHaveProperty('top_k');
    expect(openai.calls[0].body).not.toHaveProperty('thinking');
    const thinking = await failure(sut().call({ ...req, anthropic: { thinking: { type: 'enabled', budget_tokens: 1024 } } }, opts({ api: 'messages' })));
    expect(thinking).toMatchObject({ code: 'unsupported_by_provider', retryable: false, status: 400 });
    expect(openai.calls).toHaveLength(1);
  });

  it('does not send metadata to chat (OpenAI refuses it without store)', async () => {
    await sut().call({ ...req, metadata: { team: 'a' } }, opts());
    expect(openai.calls[0].body.metadata).toBeUndefined();
  });

  it("passes a 400's message on, terminal", async () => {
    openai.plan(null, failWith(400, { message: "'messages' is too long" }));
    expect(await failure(sut().call(req, opts()))).toMatchObject({ code: 'upstream_rejected', retryable: false, status: 400, statusCode: 400, message: "'messages' is too long" });
  });

  it('reads retry-after-ms and retry-after from a 429', async () => {
    openai.plan(null, failWith(429, { retryAfterMs: '1200' }), failWith(503, { retryAfter: '2' }));
    expect(await failure(sut().call(req, opts()))).toMatchObject({ code: 'upstream_rate_limited', retryable: true, retryAfterMs: 1200, statusCode: 429 });
    expect(await failure(sut().call(req, opts()))).toMatchObject({ code: 'upstream_error', retryable: true, retryAfterMs: 2000, statusCode: 503 });
  });

  it('scrubs the key from what the provider says back (a wrong key, a leaky error)', async () => {
    openai.plan(null, failWith(400, { echoKey: true }));
    const leaky = await failure(sut().call(req, opts()));
    expect(leaky.message).not.toContain(KEY);
    expect(leaky.message).toContain('[redacted]');
    const wrongKey = await failure(adapterFor(provider('openai', openai.url), { FAKE_KEY: `${KEY}-old` }, clock).call(req, opts()));
    expect(wrongKey).toMatchObject({ code: 'upstream_auth_failed', retryable: false, status: 502 });
    expect(wrongKey.message).not.toContain(KEY);
  });

  it('a dropped connection is a retryable network failure', async () => {
    openai.plan(null, dropConnection());
    expect(await failure(sut().call(req, opts()))).toMatchObject({ code: 'upstream_unreachable', retryable: true });
  });

  it('an unreadable 200 is retryable; a 404 (wrong base_url or model) is terminal and our fault (502)', async () => {
    openai.plan(null, { kind: 'raw', status: 200, body: '<html>gateway</html>' });
    expect(await failure(sut().call(req, opts()))).toMatchObject({ code: 'upstream_bad_response', retryable: true, statusCode: 200 });
    await using other = await startFakeUpstream({ kind: 'anthropic' }); // speaks Messages only: chat is a 404
    expect(await failure(adapterFor(provider('openai', other.url, { api_key_env: undefined }), {}, clock).call(req, opts()))).toMatchObject({ code: 'upstream_not_found', retryable: false, status: 502 });
  });

  it('the abort signal (cancel or timeout) stops the HTTP call', async () => {
    openai.plan(null, slow(5000));
    const ctl = new AbortController();
    setTimeout(() => ctl.abort('timeout'), 100);
    const began = Date.now();
    expect(await failure(sut().call(req, opts({ signal: ctl.signal })))).toMatchObject({ code: 'upstream_timeout', retryable: true });
    expect(Date.now() - began).toBeLessThan(4000);
  });

  it('refuses to start without the key its api_key_env names', () => {
    expect(() => adapterFor(provider('openai', openai.url), {}, clock)).toThrow(/FAKE_KEY .* is not set/);
  });
});

describe('anthropic adapter', () => {
  const sut = () => adapterFor(provider('anthropic', anthropic.url), env, clock);

  it('sends Messages with x-api-key and anthropic-version, system on top, stop sequences, temperature capped at 1', async () => {
    anthropic.plan(null, answer({ text: 'short', finish: 'stop_sequence', stopSequence: 'END' }));
    const r = await sut().call(req, opts());
    expect(r).toMatchObject({ text: 'short', finish_reason: 'stop', stop_sequence: 'END', status_code: 200 });
    const [call] = anthropic.calls;
    expect(call.path).toBe('/v1/messages');
    expect(call.headers).toMatchObject({ 'x-api-key': KEY, 'anthropic-version': '2023-06-01' });
    expect(call.headers.authorization).toBeUndefined();
    expect(call.body).toEqual({ model: 'up-model', max_tokens: 50, system: 'be brief', messages: [{ role: 'user', content: 'hi there' }], stop_sequences: ['END'], temperature: 1 });
  });

  it("sends a Messages request's top_k, thinking, is_error and an assistant turn's thinking blocks as they came; keeps the answer's thinking", async () => {
    const thought = { type: 'thinking' as const, thinking: 'Paris, then.', signature: 'sig-1' };
    const redacted = { type: 'redacted_thinking' as const, data: 'opaque' };
    anthropic.plan(null, answer({ text: 'Sunny.', thinking: [{ ...thought, signature: 'sig-2' }, redacted] }));
    const loop: CanonicalRequest = {
      model: 'up-model', max_tokens: 4000, anthropic: { top_k: 7, thinking: { type: 'enabled', budget_tokens: 2048 } },
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: '', thinking: [thought, redacted], tool_calls: [{ id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Paris"}' }] },
        { role: 'tool', content: 'service down', tool_call_id: 'toolu_1', is_error: true },
      ],
    };
    const r = await sut().call(loop, opts({ api: 'messages' }));
    expect(r).toMatchObject({ text: 'Sunny.', thinking: [{ ...thought, signature: 'sig-2' }, redacted] });
    expect(anthropic.calls[0].body).toEqual({
      model: 'up-model', max_tokens: 4000, top_k: 7, thinking: { type: 'enabled', budget_tokens: 2048 },
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: [thought, redacted, { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'service down', is_error: true }] },
      ],
    });
  });

  it('maps max_tokens to length', async () => {
    anthropic.plan(null, answer({ finish: 'length' }));
    expect((await sut().call(req, opts())).finish_reason).toBe('length');
  });

  it('reads the Anthropic error envelope: 529 overloaded is retryable, 400 terminal with its message', async () => {
    anthropic.plan(null, failWith(529), failWith(400, { message: 'max_tokens: must be at most 8192' }));
    expect(await failure(sut().call(req, opts()))).toMatchObject({ code: 'upstream_overloaded', retryable: true, message: 'Overloaded' });
    expect(await failure(sut().call(req, opts()))).toMatchObject({ code: 'upstream_rejected', retryable: false, status: 400, message: 'max_tokens: must be at most 8192' });
  });
});

/** Each real adapter streaming from the fake upstream's SSE: deltas, the same final result, failures before and mid-stream. */
const TEXT = 'One two three, four five.';
interface Case {
  name: string;
  upstream: () => FakeUpstream;
  config: Partial<ProviderConfig> & { type: 'openai' | 'anthropic' };
  api: CallOptions['api'];
  path: string;
  /** What the streamed request body must say besides the unstreamed one's fields. */
  streamFields: object;
  /** A text delta's `data:` as the provider writes it, to count them. */
  deltaEvent: RegExp;
}
const cases: Case[] = [
  {
    name: 'openai chat', upstream: () => openai, config: { type: 'openai' as const }, api: 'chat', path: '/v1/chat/completions',
    streamFields: { stream: true, stream_options: { include_usage: true } }, deltaEvent: /"delta":\{"content"/,
  },
  {
    name: 'openai responses', upstream: () => openai, config: { type: 'openai' as const, responses_api: true }, api: 'responses', path: '/v1/responses',
    streamFields: { stream: true }, deltaEvent: /response\.output_text\.delta/,
  },
  {
    name: 'anthropic', upstream: () => anthropic, config: { type: 'anthropic' as const }, api: 'messages', path: '/v1/messages',
    streamFields: { stream: true }, deltaEvent: /text_delta/,
  },
];

describe.each(cases)('$name streaming', (c) => {
  const sut = () => adapterFor(provider(c.config.type!, c.upstream().url, c.config), env, clock);
  const call = (o: { signal?: AbortSignal; onDelta?: (t: string) => void } = {}) => {
    const deltas: string[] = [];
    const onDelta = o.onDelta ?? ((t: string) => void deltas.push(t));
    return { deltas, result: sut().call(req, { signal: o.signal ?? new AbortController().signal, attempt: 1, api: c.api, onDelta }) };
  };

  it('reports the text word by word, in order, and returns what the unstreamed call returns', async () => {
    c.upstream().plan(null, answer({ text: TEXT }), answer({ text: TEXT }));
    const plain = await sut().call(req, { signal: new AbortController().signal, attempt: 1, api: c.api });
    const { deltas, result } = call();
    expect(await result).toEqual(plain);
    expect(deltas).toEqual(['One ', 'two ', 'three, ', 'four ', 'five.']);
    const [unstreamed, streamed] = c.upstream().calls;
    expect(streamed.path).toBe(c.path);
    expect(streamed.body).toEqual({ ...unstreamed.body, ...c.streamFields });
    expect(streamed.headers.accept).toBe('text/event-stream');
    expect(plain.usage.output_tokens).toBeGreaterThan(0);
  });

  it('reads why the answer ended: cut at the token limit', async () => {
    c.upstream().plan(null, answer({ text: TEXT, finish: 'length' }));
    expect(await call().result).toMatchObject({ text: TEXT, finish_reason: 'length' });
  });

  it('classifies an error status before the stream exactly as an unstreamed call', async () => {
    c.upstream().plan(null, failWith(429, { retryAfter: '3' }), failWith(400, { message: 'bad field' }));
    expect(await failure(call().result)).toMatchObject({ code: 'upstream_rate_limited', retryable: true, retryAfterMs: 3000, statusCode: 429 });
    expect(await failure(call().result)).toMatchObject({ code: 'upstream_rejected', retryable: false, status: 400, message: 'bad field' });
  });

  it('a connection dropped mid-stream is a retryable failure, after the deltas that came', async () => {
    c.upstream().plan(null, dropMidStream(2));
    const { deltas, result } = call();
    expect(await failure(result)).toMatchObject({ code: 'upstream_unreachable', retryable: true });
    expect(deltas.length).toBe(2);
  });

  it("the provider's error event mid-stream is a retryable failure with its message", async () => {
    c.upstream().plan(null, errorMidStream(1, `upstream melted, key ${KEY}`));
    const { deltas, result } = call();
    const e = await failure(result);
    expect(e).toMatchObject({ code: 'upstream_error', retryable: true, status: 502, message: 'upstream melted, key [redacted]' });
    expect(deltas.length).toBe(1);
  });

  it('a stream that stops before its last event is a retryable failure, not a short answer', async () => {
    c.upstream().plan(null, stopMidStream(3));
    const { deltas, result } = call();
    expect(await failure(result)).toMatchObject({ code: 'upstream_error', retryable: true, message: expect.stringMatching(/ended the stream before the answer was complete/) });
    expect(deltas.length).toBe(3);
  });

  it('a timeout mid-stream aborts the read and is classified as a timeout', async () => {
    c.upstream().plan(null, answer({ text: TEXT, chunkDelayMs: 60_000 }));
    const ctl = new AbortController();
    const { result } = call({ signal: ctl.signal, onDelta: () => ctl.abort('timeout') });
    expect(await failure(result)).toMatchObject({ code: 'upstream_timeout', retryable: true });
  });
});

it('anthropic streaming: the stop sequence and the usage of message_start and message_delta come through', async () => {
  anthropic.plan(null, answer({ text: TEXT, finish: 'stop_sequence', stopSequence: 'END' }), answer({ text: TEXT, finish: 'stop_sequence', stopSequence: 'END' }));
  const sut = adapterFor(provider('anthropic', anthropic.url), env, clock);
  const plain = await sut.call(req, { signal: new AbortController().signal, attempt: 1, api: 'chat' });
  const streamed = await sut.call(req, { signal: new AbortController().signal, attempt: 1, api: 'chat', onDelta: () => {} });
  expect(streamed).toEqual(plain);
  expect(streamed).toMatchObject({ finish_reason: 'stop', stop_sequence: 'END', usage: { input_tokens: expect.any(Number), output_tokens: 7 } });
});

describe('token counting', () => {
  it('exactly the provider types listed as counting have a countTokens (the ingress routes counts by that list)', () => {
    const types = ['openai', 'anthropic', 'mock'] as const;
    const counts = types.filter((type) => typeof adapterFor({ name: type, type, base_url: 'http://127.0.0.1:1', concurrency: 1, timeout_ms: 1000 }, {}, clock).countTokens === 'function');
    expect(counts).toEqual([...tokenCountingTypes]);
  });

  it("anthropic: the prompt alone to /v1/messages/count_tokens (Anthropic refuses max_tokens, sampling and stop sequences there); the provider's error classified", async () => {
    const sut = adapterFor(provider('anthropic', anthropic.url), env, clock);
    expect(await sut.countTokens!(req, new AbortController().signal)).toBe(Math.ceil('be briefhi there'.length / 4));
    expect(anthropic.calls[0]).toMatchObject({ path: '/v1/messages/count_tokens', body: { model: 'up-model', system: 'be brief', messages: [{ role: 'user', content: 'hi there' }] } });
    anthropic.plan(null, failWith(529));
    expect(await failure(sut.countTokens!(req, new AbortController().signal))).toMatchObject({ code: 'upstream_overloaded', statusCode: 529 });
  });

  it('anthropic: thinking is counted with the prompt; top_k, a sampling option, stays out', async () => {
    const sut = adapterFor(provider('anthropic', anthropic.url), env, clock);
    const thinking = { type: 'enabled', budget_tokens: 2048 } as const;
    await sut.countTokens!({ ...req, anthropic: { thinking, top_k: 5 } }, new AbortController().signal);
    const body = anthropic.calls.at(-1)!.body as Record<string, unknown>;
    expect(body.thinking).toEqual(thinking);
    expect(body).not.toHaveProperty('top_k');
  });
});

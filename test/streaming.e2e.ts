import Anthropic from '@anthropic-ai/sdk';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import OpenAI from 'openai';
import { errorMidStream, metricValue, startFakeUpstream, startMesh, type FakeUpstream, type Mesh } from '@reqrun/testing';
import { anthropicShapeErrors, anthropicStreamEventErrors } from './support/anthropic-shapes.js';
import { responseEventErrors, schemaErrors } from './support/openai-schema.js';
import { get, pollRequest, post } from './support/records.js';
import { eventsOf, readSse } from './support/sse.js';

const config = (oai: FakeUpstream, claude: FakeUpstream) => ({
  retry: { max_attempts: 3, base_delay_ms: 20, max_delay_ms: 100 },
  wait: { default_s: 5, max_s: 30, sync_s: 30 },
  streaming: { keepalive_s: 1 }, // short, for the keep-alive tests; longer than a request that fails at once takes on a busy machine
  providers: [
    { name: 'mock', type: 'mock' },
    { name: 'oai', type: 'openai', base_url: oai.url },
    { name: 'oai-resp', type: 'openai', base_url: oai.url, responses_api: true }, // the same fake, its /v1/responses
    { name: 'claude', type: 'anthropic', base_url: claude.url },
  ],
  models: {
    'mock-1': { targets: [{ provider: 'mock' }] },
    'gpt-fake': { targets: [{ provider: 'oai', model: 'gpt-up' }] },
    'gpt-resp-fake': { targets: [{ provider: 'oai-resp', model: 'gpt-up' }] },
    'claude-fake': { targets: [{ provider: 'claude', model: 'claude-up' }] },
  },
});
const model = 'mock-1';
const user = (content: string) => [{ role: 'user' as const, content }];
/** The text of a response the SDK's stream helper built (it sets no output_text there). */
const textOf = (r: OpenAI.Responses.Response) => r.output.flatMap((o) => (o.type === 'message' ? o.content : [])).map((c) => (c.type === 'output_text' ? c.text : '')).join('');
const slow = (ms: number, more: Record<string, string> = {}) => ({ metadata: { mock_latency_ms: String(ms), ...more } });

let mesh: Mesh;
let openai: OpenAI;
let anthropic: Anthropic;
let oai: FakeUpstream; // a fake OpenAI upstream (chat), streaming one word a delta in its real wire format
let claude: FakeUpstream; // a fake Anthropic upstream

beforeAll(async () => {
  [oai, claude] = await Promise.all([startFakeUpstream({ kind: 'openai' }), startFakeUpstream({ kind: 'anthropic' })]);
  mesh = await startMesh({ config: config(oai, claude) });
  openai = new OpenAI({ baseURL: `${mesh.url}/v1`, apiKey: 'dev', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: mesh.url, apiKey: 'dev', maxRetries: 0 });
});
afterAll(async () => {
  await mesh?.stop();
  await Promise.allSettled([oai?.close(), claude?.close()]);
});

describe('chat completions with stream: true', () => {
  it('create({stream: true}) with include_usage: role, content, finish reason, a usage chunk; every chunk in OpenAI schema', async () => {
    const { data: stream, response } = await openai.chat.completions
      .create({ model, messages: user('hello'), stream: true, stream_options: { include_usage: true } })
      .withResponse();
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('cache-control')).toBe('no-cache');
    const id = response.headers.get('x-request-id');
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    for (const c of chunks) expect(schemaErrors('CreateChatCompletionStreamResponse', c)).toEqual([]);
    expect(chunks.every((c) => c.id === id && c.object === 'chat.completion.chunk' && c.model === model)).toBe(true);
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    expect(chunks.flatMap((c) => c.choices.map((x) => x.delta.content ?? '')).join('')).toBe('Mock reply to: hello');
    expect(chunks.at(-2)!.choices[0].finish_reason).toBe('stop');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) } });
    const record = await pollRequest(mesh.url, id!, (r) => r.status === 'completed');
    expect(chunks.at(-1)!.usage).toMatchObject({ prompt_tokens: record.usage.input_tokens, completion_tokens: record.usage.output_tokens });
  });

  it('chat.completions.stream(): content events and finalChatCompletion, the same answer as without streaming', async () => {
    const texts: string[] = [];
    const runner = openai.chat.completions.stream({ model, messages: user('stream helper') }).on('content', (d) => texts.push(d));
    const final = await runner.finalChatCompletion();
    const plain = await openai.chat.completions.create({ model, messages: user('stream helper') });
    expect(texts.join('')).toBe(plain.choices[0].message.content);
    expect(final.choices[0]).toMatchObject({ message: { role: 'assistant', content: plain.choices[0].message.content }, finish_reason: 'stop' });
  });

  it('on the wire: data-only events, keep-alive comments while waiting, then [DONE]', async () => {
    const res = await post(`${mesh.url}/v1/chat/completions`, { model, messages: user('wire'), stream: true, ...slow(1800) });
    expect(res.status).toBe(200);
    const items = await readSse(res as unknown as Response);
    expect(items[0]).toEqual({ comment: 'keep-alive' }); // headers went out with the first keep-alive, long before the answer
    const events = eventsOf(items);
    expect(events.every((e) => e.event === undefined)).toBe(true);
    expect(events.at(-1)!.data).toBe('[DONE]');
  });

  it("a client that hangs up does not cancel the request: it completes and stays readable by id", async () => {
    const ctl = new AbortController();
    const { data: stream, response } = await openai.chat.completions
      .create({ model, messages: user('leaving'), stream: true, ...slow(2500) }, { signal: ctl.signal })
      .withResponse();
    const id = response.headers.get('x-request-id')!;
    ctl.abort();
    await expect((async () => { for await (const _c of stream) { /* nothing arrives before the abort */ } })()).resolves.toBeUndefined();
    const r = await pollRequest(mesh.url, id, (x) => x.status !== 'queued' && x.status !== 'in_progress');
    expect(r).toMatchObject({ status: 'completed', result: { choices: [{ message: { content: 'Mock reply to: leaving' } }] } });
  });

  it('an attempt that fails before the first chunk is retried out of sight: the stream is whole', async () => {
    const chunks: string[] = [];
    const { data: stream, response } = await openai.chat.completions
      .create({ model, messages: user('flaky'), stream: true, metadata: { mock_fail: 'retryable:1' } })
      .withResponse();
    for await (const c of stream) chunks.push(c.choices[0]?.delta.content ?? '');
    expect(chunks.join('')).toBe('Mock reply to: flaky');
    const r = await pollRequest(mesh.url, response.headers.get('x-request-id')!, (x) => x.status === 'completed');
    expect(r.attempts).toBe(2);
  });

  it('passes each piece on as it comes: the first arrives while the request is still running', async () => {
    const { data: stream, response } = await openai.chat.completions
      .create({ model, messages: user('one word at a time'), stream: true, metadata: { mock_chunk_delay_ms: '300' } })
      .withResponse();
    const id = response.headers.get('x-request-id')!;
    const statusAtEachPiece: string[] = [];
    let text = '';
    for await (const c of stream) {
      if (!c.choices[0]?.delta.content) continue;
      text += c.choices[0].delta.content;
      if (statusAtEachPiece.length === 0) statusAtEachPiece.push((await (await get(`${mesh.url}/v1/requests/${id}`)).json()).status);
    }
    expect(statusAtEachPiece).toEqual(['in_progress']);
    expect(text).toBe('Mock reply to: one word at a time');
  });

  it('a failure after the first piece ends the stream with an error in the data (the SDK throws APIError); not retried', async () => {
    const { data: stream, response } = await openai.chat.completions
      .create({ model, messages: user('breaks'), stream: true, metadata: { mock_fail: 'mid_stream' } })
      .withResponse();
    const pieces: string[] = [];
    const err = await (async () => { for await (const c of stream) pieces.push(c.choices[0]?.delta.content ?? ''); })().catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err.error).toMatchObject({ type: 'server_error', code: expect.any(String) });
    expect(pieces.join('')).toBe('Mock ');
    const r = await pollRequest(mesh.url, response.headers.get('x-request-id')!, (x) => x.status === 'failed');
    expect(r.attempts).toBe(1);
  });

  it('once a keep-alive has sent the headers, even a failure before any text is an error event (the status is sent)', async () => {
    const res = await post(`${mesh.url}/v1/chat/completions`, { model, messages: user('late no'), stream: true, metadata: { mock_latency_ms: '1800', mock_fail: 'terminal' } });
    expect(res.status).toBe(200);
    const items = await readSse(res as unknown as Response);
    expect(items[0]).toEqual({ comment: 'keep-alive' });
    expect(eventsOf(items)).toEqual([{ data: { error: expect.objectContaining({ code: 'upstream_rejected', type: 'invalid_request_error' }) } }]);
  });

  it('a retry with the same Idempotency-Key re-attaches to the request and streams the same answer, not a new call', async () => {
    const key = `stream-${Date.now()}`;
    const read = async () => {
      const { data, response } = await openai.chat.completions
        .create({ model, messages: user('once'), stream: true, metadata: { mock_chunk_delay_ms: '50' } }, { headers: { 'Idempotency-Key': key } })
        .withResponse();
      let text = '';
      for await (const c of data) text += c.choices[0]?.delta.content ?? '';
      return { id: response.headers.get('x-request-id'), text };
    };
    const [a, b] = await Promise.all([read(), read()]);
    expect(b).toEqual(a);
    expect(a.text).toBe('Mock reply to: once');
    expect(await read()).toEqual(a); // after it finished: replayed from the stored chunks
    expect((await pollRequest(mesh.url, a.id!, (x) => x.status === 'completed')).attempts).toBe(1);
  });

  it('a request that fails before its first event answers its JSON error with its status (the SDK throws its usual class)', async () => {
    const err = await openai.chat.completions.create({ model, messages: user('no'), stream: true, metadata: { mock_fail: 'terminal' } }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.error).toMatchObject({ code: 'upstream_rejected' });
    expect(err.headers.get('x-request-id')).toMatch(/^rr_/);
  });
});

describe('messages with stream: true', () => {
  const base = { model, max_tokens: 256 };

  it('messages.stream(): text events and finalMessage, the same message as without streaming', async () => {
    const texts: string[] = [];
    const stream = anthropic.messages.stream({ ...base, messages: user('hello') }).on('text', (t) => texts.push(t));
    const final = await stream.finalMessage();
    const plain = await anthropic.messages.create({ ...base, messages: user('hello') });
    expect(texts.join('')).toBe('Mock reply to: hello');
    const { parsed_output: _parsed, ...message } = final as typeof final & { parsed_output?: unknown }; // the SDK's own addition
    expect({ ...message, id: 'same' }).toEqual({ ...plain, id: 'same' });
    expect(anthropicShapeErrors('Message', final)).toEqual([]);
  });

  it("on the wire: Anthropic's named events in order, each in its documented shape; ping while waiting", async () => {
    const res = await post(`${mesh.url}/v1/messages`, { ...base, messages: user('wire'), stream: true, ...slow(1800) }, { 'x-api-key': 'dev' });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = eventsOf(await readSse(res as unknown as Response));
    expect(events[0]).toEqual({ event: 'ping', data: { type: 'ping' } });
    const names = events.map((e) => e.event).filter((e) => e !== 'ping');
    const deltas = names.filter((e) => e === 'content_block_delta').length;
    expect(deltas).toBe(4); // the mock streams one word a chunk: "Mock ", "reply ", "to: ", "wire"
    expect(names).toEqual(['message_start', 'content_block_start', ...Array(deltas).fill('content_block_delta'), 'content_block_stop', 'message_delta', 'message_stop']);
    for (const e of events) expect(anthropicStreamEventErrors(e)).toEqual([]);
  });

  it("a failure after the first piece is Anthropic's error event: the stream helper rejects with an APIError", async () => {
    const texts: string[] = [];
    const stream = anthropic.messages.stream({ ...base, messages: user('breaks'), metadata: { mock_fail: 'mid_stream' } } as never).on('text', (t) => texts.push(t));
    const err = await stream.finalMessage().catch((e) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(err.error).toMatchObject({ type: 'error', error: { type: expect.any(String), message: expect.any(String) } });
    expect(texts).toEqual(['Mock ']);
  });

  it("a request that fails before its first event is a JSON error in Anthropic's envelope", async () => {
    const err = await anthropic.messages.create({ ...base, messages: user('no'), stream: true, metadata: { mock_fail: 'terminal' } } as never).catch((e) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect(err.error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });
});

describe('tool calls with stream: true (streamed as the model writes them)', () => {
  const parameters = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
  const question = user('Weather in Paris?');
  const base = { model, max_tokens: 256 };
  const chatTools = [{ type: 'function' as const, function: { name: 'get_weather', parameters } }];
  const messagesTools = [{ name: 'get_weather', input_schema: parameters as Anthropic.Tool.InputSchema }];
  const responsesTools = [{ type: 'function' as const, name: 'get_weather', parameters, strict: false }];
  /** The argument pieces a chat stream carried, and whether each came before the stream's finish chunk. */
  const chatPieces = (chunks: OpenAI.Chat.Completions.ChatCompletionChunk[]) => {
    const finish = chunks.findIndex((c) => c.choices[0]?.finish_reason);
    return chunks.flatMap((c, i) => (c.choices[0]?.delta.tool_calls ?? []).filter((t) => t.function?.arguments).map((t) => ({ before: i < finish, piece: t.function!.arguments! })));
  };

  it('chat (mock): the call in 2+ argument pieces before the finish; the SDK stream helper builds the same completion as without streaming; every chunk in OpenAI schema', async () => {
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    const deltas: string[] = [];
    const stream = openai.chat.completions.stream({ model, messages: question, tools: chatTools })
      .on('chunk', (c) => chunks.push(c)).on('tool_calls.function.arguments.delta', (e) => deltas.push(e.arguments_delta));
    const final = await stream.finalChatCompletion();
    const plain = await openai.chat.completions.create({ model, messages: question, tools: chatTools });
    expect(final.choices[0]).toMatchObject({ finish_reason: 'tool_calls', message: { tool_calls: plain.choices[0].message.tool_calls } });
    for (const c of chunks) expect(schemaErrors('CreateChatCompletionStreamResponse', c)).toEqual([]);
    const pieces = chatPieces(chunks);
    expect(pieces.length).toBeGreaterThanOrEqual(2);
    expect(pieces.every((p) => p.before)).toBe(true);
    expect(deltas.length).toBeGreaterThanOrEqual(2);
    expect(pieces.map((p) => p.piece).join('')).toBe((plain.choices[0].message.tool_calls![0] as { function: { arguments: string } }).function.arguments);
    expect(chunks[0].choices[0].delta).toMatchObject({ role: 'assistant', tool_calls: [{ index: 0, id: expect.any(String), type: 'function', function: { name: 'get_weather', arguments: '' } }] });
  });

  it('messages (mock): a tool_use block with 2+ input_json_delta pieces; finalMessage as unstreamed; every event in its documented shape', async () => {
    const stream = anthropic.messages.stream({ ...base, messages: question, tools: messagesTools });
    const json: string[] = [];
    stream.on('inputJson', (piece) => json.push(piece));
    const final = await stream.finalMessage();
    const plain = await anthropic.messages.create({ ...base, messages: question, tools: messagesTools });
    expect(final).toMatchObject({ stop_reason: 'tool_use', content: plain.content });
    expect(json.length).toBeGreaterThanOrEqual(2);
    const res = await post(`${mesh.url}/v1/messages`, { ...base, messages: question, tools: messagesTools, stream: true }, { 'x-api-key': 'dev' });
    const events = eventsOf(await readSse(res as unknown as Response));
    for (const e of events) expect(anthropicStreamEventErrors(e)).toEqual([]);
    const names = events.map((e) => e.event).filter((e) => e !== 'ping');
    expect(names[0]).toBe('message_start');
    expect(names[1]).toBe('content_block_start');
    expect(names.filter((e) => e === 'content_block_delta').length).toBeGreaterThanOrEqual(2);
    expect(names.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    expect(events[1].data.content_block).toEqual({ type: 'tool_use', id: expect.any(String), name: 'get_weather', input: {} });
  });

  it('responses (mock): function_call item added, 2+ argument deltas, done; finalResponse and a replay by id as retrieve returns it', async () => {
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    const final = await openai.responses.stream({ model, input: 'Weather in Paris?', tools: responsesTools }).on('event', (e) => events.push(e)).finalResponse();
    expect(final.output).toEqual([expect.objectContaining({ type: 'function_call', name: 'get_weather', arguments: '{"city":"Mock reply to: Weather in Paris?"}' })]);
    const types = events.map((e) => e.type);
    expect(types.slice(0, 3)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added']);
    expect(types.filter((t) => t === 'response.function_call_arguments.delta').length).toBeGreaterThanOrEqual(2);
    expect(types.slice(-3)).toEqual(['response.function_call_arguments.done', 'response.output_item.done', 'response.completed']);
    for (const e of events) expect(responseEventErrors({ event: e.type, data: e })).toEqual([]);
    const { output_text: _t, ...stored } = await openai.responses.retrieve(final.id);
    expect((events.at(-1) as OpenAI.Responses.ResponseCompletedEvent).response.output).toEqual(stored.output);
    // a replay by id of a streamed response: the same events
    const replayed = eventsOf(await readSse(await get(`${mesh.url}/v1/responses/${final.id}?stream=true`) as unknown as Response)).map((e) => e.data);
    expect(replayed.map((e) => e.type)).toEqual(types);
    expect(replayed[2].item).toMatchObject({ type: 'function_call', status: 'in_progress', name: 'get_weather', arguments: '' }); // raw (the SDK fills in its snapshot)
    const background = await openai.responses.create({ model, input: 'Weather in Paris?', tools: responsesTools, background: true });
    await pollRequest(mesh.url, background.id, (r) => r.status === 'completed');
    const unstreamed = eventsOf(await readSse(await get(`${mesh.url}/v1/responses/${background.id}?stream=true`) as unknown as Response)).map((e) => e.data);
    expect(unstreamed.map((e) => e.type)).toContain('response.function_call_arguments.done');
    expect(unstreamed.at(-1).response.output).toEqual((await openai.responses.retrieve(background.id)).output);
  });

  it('mock mid_stream after the first piece of a call: not retried, the stream ends with the error event', async () => {
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    const { data: stream, response } = await openai.chat.completions
      .create({ model, messages: question, tools: chatTools, stream: true, metadata: { mock_fail: 'mid_stream:1' } })
      .withResponse();
    const err = await (async () => { for await (const c of stream) chunks.push(c); })().catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    // the call's first piece (its start, then its first argument piece), nothing after it, from no other attempt
    const fragments = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(fragments[0]).toMatchObject({ index: 0, id: expect.any(String), function: { name: 'get_weather', arguments: '' } });
    expect(fragments.map((f) => f.function?.arguments ?? '').join('')).toBe('{"city":"Mock ');
    const r = await pollRequest(mesh.url, response.headers.get('x-request-id')!, (x) => x.status === 'failed');
    expect(r.attempts).toBe(1);
  });

  describe('through providers that stream their calls (a fake OpenAI and a fake Anthropic upstream, their wire formats)', () => {
    const call = { id: 'call_up', name: 'lookup', arguments: '{"q":"x y z"}' };
    const lookupChat = [{ type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }];
    const lookupMessages = [{ name: 'lookup', input_schema: { type: 'object' as const, properties: { q: { type: 'string' } } } }];
    const lookupResponses = [{ type: 'function' as const, name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } }, strict: false }];
    const plan = (up: FakeUpstream, marker: string) => up.plan(marker, { kind: 'answer', toolCalls: [call] }, { kind: 'answer', toolCalls: [call] });

    it.each([['gpt-fake', () => oai], ['claude-fake', () => claude]] as const)('%s → chat: the provider is asked for a stream, the client gets 2+ argument pieces before the finish, the same completion as unstreamed', async (m, up) => {
      const marker = `tools-chat-${m}-${Date.now()}`;
      plan(up(), marker);
      const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
      const final = await openai.chat.completions.stream({ model: m, messages: user(marker), tools: lookupChat }).on('chunk', (c) => chunks.push(c)).finalChatCompletion();
      const plain = await openai.chat.completions.create({ model: m, messages: user(marker), tools: lookupChat });
      expect(up().callsWith(marker)[0].body.stream).toBe(true);
      expect(final.choices[0]).toMatchObject({ finish_reason: 'tool_calls', message: { tool_calls: plain.choices[0].message.tool_calls } });
      expect(final.choices[0].message.tool_calls).toEqual([{ id: 'call_up', type: 'function', function: { name: 'lookup', arguments: call.arguments } }]);
      for (const c of chunks) expect(schemaErrors('CreateChatCompletionStreamResponse', c)).toEqual([]);
      const pieces = chatPieces(chunks);
      expect(pieces.length).toBeGreaterThanOrEqual(2);
      expect(pieces.every((p) => p.before)).toBe(true);
    });

    it.each([['gpt-fake', () => oai], ['claude-fake', () => claude]] as const)('%s → messages: 2+ input_json_delta pieces; finalMessage as unstreamed', async (m, up) => {
      const marker = `tools-msg-${m}-${Date.now()}`;
      plan(up(), marker);
      const json: string[] = [];
      const stream = anthropic.messages.stream({ model: m, max_tokens: 256, messages: user(marker), tools: lookupMessages });
      stream.on('inputJson', (piece) => json.push(piece));
      const events: unknown[] = [];
      stream.on('streamEvent', (e) => events.push(e));
      const final = await stream.finalMessage();
      const plain = await anthropic.messages.create({ model: m, max_tokens: 256, messages: user(marker), tools: lookupMessages });
      expect(up().callsWith(marker)[0].body.stream).toBe(true);
      expect(final).toMatchObject({ stop_reason: 'tool_use', content: plain.content });
      expect(final.content).toEqual([{ type: 'tool_use', id: 'call_up', name: 'lookup', input: { q: 'x y z' } }]);
      expect(json.length).toBeGreaterThanOrEqual(2);
      for (const e of events) expect(anthropicStreamEventErrors({ event: (e as { type: string }).type, data: e })).toEqual([]);
    });

    it.each([['gpt-fake', () => oai], ['claude-fake', () => claude]] as const)('%s → responses: 2+ function_call_arguments.delta before the completion; finalResponse as unstreamed', async (m, up) => {
      const marker = `tools-resp-${m}-${Date.now()}`;
      plan(up(), marker);
      const events: OpenAI.Responses.ResponseStreamEvent[] = [];
      const final = await openai.responses.stream({ model: m, input: marker, tools: lookupResponses }).on('event', (e) => events.push(e)).finalResponse();
      const plain = await openai.responses.create({ model: m, input: marker, tools: lookupResponses });
      expect(up().callsWith(marker)[0].body.stream).toBe(true);
      const bare = (o: OpenAI.Responses.ResponseOutputItem) => {
        const { id: _i, parsed_arguments: _p, ...rest } = o as OpenAI.Responses.ResponseOutputItem & { parsed_arguments?: unknown };
        return rest;
      };
      expect(final.output.map(bare)).toEqual(plain.output.map(bare)); // but the ids (two requests); parsed_arguments: the SDK's own
      expect(final.output).toEqual([expect.objectContaining({ type: 'function_call', call_id: 'call_up', name: 'lookup', arguments: call.arguments })]);
      expect(events.filter((e) => e.type === 'response.function_call_arguments.delta').length).toBeGreaterThanOrEqual(2);
      for (const e of events) expect(responseEventErrors({ event: e.type, data: e })).toEqual([]);
    });

    it('gpt-resp-fake (responses_api: true) → responses: the provider streams /v1/responses; 2+ function_call_arguments.delta before the end; finalResponse as unstreamed', async () => {
      const marker = `tools-resp-api-${Date.now()}`;
      oai.plan(marker, { kind: 'answer', toolCalls: [call] }, { kind: 'answer', toolCalls: [call] }, { kind: 'answer', toolCalls: [call] });
      const request = { model: 'gpt-resp-fake', input: marker, tools: lookupResponses };
      const types: string[] = [];
      for await (const e of await openai.responses.create({ ...request, stream: true })) {
        types.push(e.type);
        expect(responseEventErrors({ event: e.type, data: e })).toEqual([]);
      }
      const final = await openai.responses.stream(request).finalResponse();
      const plain = await openai.responses.create(request);
      expect(oai.callsWith(marker).map((c) => [c.path, c.body.stream === true])).toEqual([['/v1/responses', true], ['/v1/responses', true], ['/v1/responses', false]]);
      const deltas = types.flatMap((t, i) => (t === 'response.function_call_arguments.delta' ? [i] : []));
      expect(deltas.length).toBeGreaterThanOrEqual(2);
      expect(deltas.every((i) => i < types.indexOf('response.function_call_arguments.done'))).toBe(true);
      expect(types.at(-1)).toBe('response.completed');
      const bare = (o: OpenAI.Responses.ResponseOutputItem) => {
        const { id: _i, parsed_arguments: _p, ...rest } = o as OpenAI.Responses.ResponseOutputItem & { parsed_arguments?: unknown };
        return rest;
      };
      expect(final.output.map(bare)).toEqual(plain.output.map(bare)); // but the ids (two requests); parsed_arguments: the SDK's own
      expect(plain.output).toEqual([expect.objectContaining({ type: 'function_call', call_id: 'call_up', name: 'lookup', arguments: call.arguments })]);
    });
  });
});

describe('responses with stream: true', () => {
  it('responses.stream(): every event in OpenAI schema, sequence numbers from 0, finalResponse as retrieve returns it', async () => {
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    const stream = openai.responses.stream({ model, input: 'hello', metadata: { team: 'a' } }).on('event', (e) => events.push(e));
    const final = await stream.finalResponse();
    expect(textOf(final)).toBe('Mock reply to: hello');
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_e, i) => i));
    expect(events.map((e) => e.type)).toEqual([
      'response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added',
      ...Array(4).fill('response.output_text.delta'), // "Mock ", "reply ", "to: ", "hello"
      'response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed',
    ]);
    for (const e of events) expect(responseEventErrors({ event: e.type, data: e })).toEqual([]);
    const { output_text: _text, ...stored } = await openai.responses.retrieve(final.id); // output_text: the SDK's own addition
    const completed = (events.at(-1) as OpenAI.Responses.ResponseCompletedEvent).response;
    // completed_at: when the last chunk was stored, which is when GET's record says it ended, give or take its write.
    expect(completed).toEqual({ ...stored, completed_at: expect.any(Number) });
    expect(Math.abs(completed.completed_at! - stored.completed_at!)).toBeLessThanOrEqual(1);
  });

  /** Reads a response's event stream raw: `GET /v1/responses/{id}?stream=true[&starting_after=N]`. */
  const replay = async (id: string, after?: number) => {
    const res = await get(`${mesh.url}/v1/responses/${id}?stream=true${after === undefined ? '' : `&starting_after=${after}`}`);
    expect(res.status).toBe(200);
    return eventsOf(await readSse(res as unknown as Response)).map((e) => e.data);
  };

  it('background + stream: a client reads part, hangs up, and resumes with starting_after: every event exactly once', async () => {
    const ctl = new AbortController();
    const stream = await openai.responses.create(
      { model, input: 'resume me after a hang-up', background: true, stream: true, metadata: { mock_chunk_delay_ms: '150' } }, { signal: ctl.signal },
    );
    const seen: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const e of stream) {
      seen.push(e);
      if (e.type === 'response.output_text.delta' && e.delta === 'reply ') break; // the SDK aborts the request: a hang-up mid-stream
    }
    const id = (seen[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
    expect(seen[0]).toMatchObject({ type: 'response.created', response: { status: 'queued', background: true } });

    const last = seen.at(-1)!.sequence_number;
    const rest = await openai.responses.retrieve(id, { stream: true, starting_after: last });
    const resumed: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const e of rest) resumed.push(e);
    expect(resumed[0].sequence_number).toBe(last + 1);
    expect(resumed.at(-1)!.type).toBe('response.completed');
    const text = [...seen, ...resumed].map((e) => (e.type === 'response.output_text.delta' ? e.delta : '')).join('');
    expect(text).toBe('Mock reply to: resume me after a hang-up');

    const whole = await replay(id);
    expect([...seen, ...resumed]).toEqual(whole);
    expect(await replay(id)).toEqual(whole); // the same events every time: resume relies on it
  });

  it('responses.stream({response_id, starting_after}) resumes a background response with the SDK helper', async () => {
    const bg = await openai.responses.create({ model, input: 'helper resume', background: true, ...slow(300) });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    const stream = openai.responses.stream({ response_id: bg.id, starting_after: 3 }).on('event', (e) => events.push(e));
    const final = await stream.finalResponse();
    expect(textOf(final)).toBe('Mock reply to: helper resume');
    expect(events[0].sequence_number).toBe(4);
  });

  it('a background response that did not stream can be read as a stream while it runs and after it completed', async () => {
    const bg = await openai.responses.create({ model, input: 'later', background: true, ...slow(500) });
    const whileRunning = await replay(bg.id);
    expect(whileRunning.at(-1)).toMatchObject({ type: 'response.completed', response: { id: bg.id, status: 'completed' } });
    expect(await replay(bg.id)).toEqual(whileRunning);
    expect(await replay(bg.id, whileRunning.length - 2)).toEqual(whileRunning.slice(-1));
    expect(await replay(bg.id, 1000)).toEqual([]);
  });

  it('a response cut by max_output_tokens ends with response.incomplete, as GET shows it', async () => {
    const stream = await openai.responses.create({ model, input: 'a question long enough to be cut', max_output_tokens: 2, stream: true });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const e of stream) events.push(e);
    const last = events.at(-1) as OpenAI.Responses.ResponseIncompleteEvent;
    expect(last).toMatchObject({ type: 'response.incomplete', response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } } });
    for (const e of events) expect(responseEventErrors({ event: e.type, data: e })).toEqual([]);
    expect(await openai.responses.retrieve(last.response.id)).toMatchObject({ status: 'incomplete', output_text: textOf(last.response) });
  });

  it('a failed response read as a stream ends with response.failed and an error event; the SDK helper rejects', async () => {
    const bg = await openai.responses.create({ model, input: 'no', background: true, metadata: { mock_fail: 'terminal' } });
    const events = await replay(bg.id);
    expect(events.map((e) => e.type)).toEqual(['response.created', 'response.in_progress', 'response.failed', 'error']);
    expect(events[2].response).toMatchObject({ id: bg.id, status: 'failed', error: { code: 'upstream_rejected' } });
    await expect(openai.responses.stream({ response_id: bg.id }).finalResponse()).rejects.toMatchObject({ type: 'error', code: 'upstream_rejected' });
  });

  it('a failure mid-stream: response.failed then error; the SDK helper rejects, and a replay shows the same events', async () => {
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    const stream = openai.responses.stream({ model, input: 'breaks', background: true, metadata: { mock_fail: 'mid_stream' } }).on('event', (e) => events.push(e));
    await expect(stream.finalResponse()).rejects.toMatchObject({ type: 'error', code: expect.any(String) });
    const id = (events[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
    const replayed = await replay(id);
    expect(replayed.map((e) => e.type)).toEqual([
      'response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added', 'response.output_text.delta',
      'response.failed', 'error',
    ]);
    // The SDK helper builds its snapshot inside the events it emits, so compare what identifies them.
    const ids = (es: { type: string; sequence_number: number }[]) => es.map((e) => `${e.sequence_number} ${e.type}`);
    expect(ids(replayed.slice(0, events.length))).toEqual(ids(events));
    expect((await openai.responses.retrieve(id)).status).toBe('failed');
  });

  it('a response cancelled while a client streams it ends the stream with its state, at the same point on every read', async () => {
    const stream = await openai.responses.create({ model, input: 'stop streaming me at once please', background: true, stream: true, metadata: { mock_chunk_delay_ms: '100' } });
    const live: OpenAI.Responses.ResponseStreamEvent[] = [];
    let id = '';
    for await (const e of stream) {
      live.push(e);
      if (e.type === 'response.created') id = e.response.id;
      if (e.type === 'response.output_text.delta' && e.delta === 'reply ') await openai.responses.cancel(id);
    }
    expect(live.slice(-2)).toMatchObject([{ type: 'response.failed', response: { status: 'cancelled' } }, { type: 'error', code: 'request_cancelled' }]);
    await new Promise((r) => setTimeout(r, 300)); // the attempt may publish a piece or two more before its call is aborted
    expect(await replay(id)).toEqual(live); // none of them shows up later: the cancel fixed where the stream ends
    const nc = await connect({ servers: mesh.nats.url });
    try {
      const consumer = await jetstream(nc).consumers.get('RR_CHUNKS', { filter_subjects: `rr.chunk.${id}` });
      const chunks = [];
      for await (const m of await consumer.fetch({ max_messages: 1000, expires: 1000 })) chunks.push(m.json());
      expect(chunks).toContainEqual(expect.objectContaining({ type: 'error', seq: -1, error: expect.objectContaining({ code: 'request_cancelled' }) }));
    } finally {
      await nc.close();
    }
  });

  it.each([
    ['an unknown id', 'rr_01ARZ3NDEKTSV4RRFFQ69G5FAV', 404, 'not_found'],
    ['a malformed id', 'nope', 404, 'not_found'],
  ])('streaming %s is a JSON %s', async (_n, id, status, code) => {
    const res = await get(`${mesh.url}/v1/responses/${id}?stream=true&starting_after=2`);
    expect(res.status).toBe(status);
    const json = await res.json();
    expect(json.error.code).toBe(code);
    expect(schemaErrors('ErrorResponse', json)).toEqual([]);
  });
});

describe('streamed from real provider wire formats, across APIs', () => {
  it("Anthropic's SDK streams an answer an OpenAI upstream streams", async () => {
    const texts: string[] = [];
    const stream = anthropic.messages.stream({ model: 'gpt-fake', max_tokens: 100, messages: user('cross one') }).on('text', (t) => texts.push(t));
    const final = await stream.finalMessage();
    expect(texts.length).toBeGreaterThan(1); // piece by piece, as the upstream sent them
    expect(texts.join('')).toBe('Fake openai reply to: cross one');
    expect(final).toMatchObject({ model: 'gpt-fake', stop_reason: 'end_turn', content: [{ type: 'text', text: 'Fake openai reply to: cross one' }] });
    expect(oai.callsWith('cross one')[0].body).toMatchObject({ model: 'gpt-up', stream: true });
  });

  it("OpenAI's chat and Responses helpers stream an answer an Anthropic upstream streams", async () => {
    const chat = await openai.chat.completions.stream({ model: 'claude-fake', messages: user('cross two'), stream_options: { include_usage: true } }).finalChatCompletion();
    expect(chat.choices[0].message.content).toBe('Fake anthropic reply to: cross two');
    expect(chat.usage!.completion_tokens).toBeGreaterThan(0);
    const r = await openai.responses.stream({ model: 'claude-fake', input: 'cross three' }).finalResponse();
    expect(textOf(r)).toBe('Fake anthropic reply to: cross three');
  });

  it('an upstream error event mid-stream ends the client stream with its own API error event; no second call', async () => {
    oai.plan('cross broken', errorMidStream(2, 'upstream fell over'));
    const texts: string[] = [];
    const err = await anthropic.messages.stream({ model: 'gpt-fake', max_tokens: 100, messages: user('cross broken') }).on('text', (t) => texts.push(t)).finalMessage().catch((e) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(texts.length).toBe(2);
    expect(oai.callsWith('cross broken')).toHaveLength(1);
  });
});

describe('metrics', () => {
  it('counts open streams (none once they ended, hung up or failed) and times each first event', async () => {
    await new Promise((r) => setTimeout(r, 200)); // the streams cut by clients in earlier tests have closed
    const metrics = `${mesh.url}/metrics`;
    expect(await metricValue(metrics, 'reqrun_streams_open')).toBe(0);
    for (const api of ['chat', 'messages', 'responses']) {
      expect([api, await metricValue(metrics, 'reqrun_stream_first_event_seconds_count', { api })]).toEqual([api, expect.any(Number)]);
      expect(await metricValue(metrics, 'reqrun_stream_first_event_seconds_count', { api })).toBeGreaterThan(0);
    }
    const stream = await openai.chat.completions.create({ model, messages: user('count me'), stream: true, metadata: { mock_chunk_delay_ms: '200' } });
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    expect(await metricValue(metrics, 'reqrun_streams_open', { api: 'chat' })).toBe(1);
    while (!(await it.next()).done);
    await new Promise((r) => setTimeout(r, 100));
    expect(await metricValue(metrics, 'reqrun_streams_open')).toBe(0);
  });
});

describe('an ingress that stops (last: it restarts the ingress)', () => {
  it('cuts its open streams (an error, not a clean end), stops at once, and the response resumes on the next one', async () => {
    const ingress = mesh.apps.find((a) => a.app === 'ingress')!;
    const stream = await openai.responses.create({ model, input: 'a stream cut by a restart of the ingress', background: true, stream: true, metadata: { mock_chunk_delay_ms: '300' } });
    const seen: OpenAI.Responses.ResponseStreamEvent[] = [];
    const reading = (async () => { for await (const e of stream) seen.push(e); })();
    while (!seen.some((e) => e.type === 'response.output_text.delta')) await new Promise((r) => setTimeout(r, 20));
    const stopped = Date.now();
    await ingress.stop(); // SIGTERM: a graceful stop
    expect(Date.now() - stopped).toBeLessThan(8_000); // an open stream does not hold the shutdown (stop() kills after 10 s)
    await expect(reading).rejects.toThrow();
    expect(seen.at(-1)!.type).not.toBe('response.completed');

    await ingress.restart();
    const id = (seen[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
    const rest = await openai.responses.retrieve(id, { stream: true, starting_after: seen.at(-1)!.sequence_number });
    const resumed: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const e of rest) resumed.push(e);
    const all = [...seen, ...resumed];
    expect(all.map((e) => e.sequence_number)).toEqual(all.map((_e, i) => i));
    expect(all.map((e) => (e.type === 'response.output_text.delta' ? e.delta : '')).join('')).toBe('Mock reply to: a stream cut by a restart of the ingress');
    expect(all.at(-1)!.type).toBe('response.completed');
  }, 60_000);
});

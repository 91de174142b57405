import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startMesh, startNats, type Mesh } from '@reqrun/testing';
import { anthropicShapeErrors, anthropicStreamEventErrors } from './support/anthropic-shapes.js';
import { schemaErrors } from './support/openai-schema.js';
import { countRecords, get, pollRequest, post, readRecord } from './support/records.js';
import { eventsOf, readSse } from './support/sse.js';

const config = {
  // three models, so the Models API has pages to walk
  models: { 'mock-1': { targets: [{ provider: 'mock' }] }, 'mock-2': { targets: [{ provider: 'mock' }] }, 'mock-3': { targets: [{ provider: 'mock' }] } },
  retry: { max_attempts: 2, base_delay_ms: 20, max_delay_ms: 100 },
  wait: { default_s: 5, max_s: 30, sync_s: 30 },
};
const ID = /^rr_[0-9A-HJKMNP-TV-Z]{26}$/;
const model = 'mock-1';
const user = (content: string) => [{ role: 'user' as const, content }];
/** A valid 1x1 PNG. */
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const pngBlock = { type: 'image' as const, source: { type: 'base64' as const, media_type: 'image/png' as const, data: PNG } };

let mesh: Mesh;
let anthropic: Anthropic;
let openai: OpenAI;
let url: string;

beforeAll(async () => {
  mesh = await startMesh({ config });
  anthropic = new Anthropic({ baseURL: mesh.url, apiKey: 'dev', maxRetries: 0 });
  openai = new OpenAI({ baseURL: `${mesh.url}/v1`, apiKey: 'dev', maxRetries: 0 });
  url = `${mesh.url}/v1/messages`;
});
afterAll(() => mesh?.stop());

/** Extra body fields (ReqRun's extensions) pass through the Anthropic SDK untouched; its types do not know them. */
const withExtensions = (p: Anthropic.MessageCreateParamsNonStreaming, extra: Record<string, unknown>) => ({ ...p, ...extra }) as Anthropic.MessageCreateParamsNonStreaming;

describe('messages through the mesh, with the Anthropic SDK', () => {
  it('messages.create answers in Anthropic shape, with x-request-id', async () => {
    const { data, response } = await anthropic.messages.create({ model, max_tokens: 100, system: 'be brief', messages: user('hello') }).withResponse();
    expect(response.status).toBe(200);
    expect(data.id).toMatch(ID);
    expect(response.headers.get('x-request-id')).toBe(data.id);
    expect(data).toMatchObject({
      type: 'message', role: 'assistant', model, content: [{ type: 'text', text: 'Mock reply to: hello' }],
      stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: expect.any(Number), output_tokens: expect.any(Number) },
    });
    expect(anthropicShapeErrors('Message', data)).toEqual([]);
  });

  it('takes system and content as text blocks, and a conversation of several turns', async () => {
    const data = await anthropic.messages.create({
      model, max_tokens: 100, system: [{ type: 'text', text: 'be ' }, { type: 'text', text: 'brief' }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'first' }] },
        { role: 'assistant', content: 'an answer' },
        { role: 'user', content: [{ type: 'text', text: 'second ' }, { type: 'text', text: 'turn' }] },
      ],
    });
    expect(data.content).toEqual([{ type: 'text', text: 'Mock reply to: second turn' }]);
  });

  it('ends at a stop sequence and says which one', async () => {
    const data = await anthropic.messages.create({ model, max_tokens: 100, stop_sequences: ['nothing', 'reply'], messages: user('stop here') });
    expect(data).toMatchObject({ content: [{ type: 'text', text: 'Mock ' }], stop_reason: 'stop_sequence', stop_sequence: 'reply' });
  });

  it('an answer cut by max_tokens has stop_reason max_tokens', async () => {
    const data = await anthropic.messages.create({ model, max_tokens: 2, messages: user('a long question, to be cut') });
    expect(data).toMatchObject({ content: [{ type: 'text', text: 'Mock rep' }], stop_reason: 'max_tokens', usage: { output_tokens: 2 } });
  });

  it('accepts Bearer auth and x-api-key with anthropic-version', async () => {
    const bearer = new Anthropic({ baseURL: mesh.url, apiKey: null, authToken: 'dev', maxRetries: 0 });
    expect((await bearer.messages.create({ model, max_tokens: 50, messages: user('bearer') })).content).toEqual([{ type: 'text', text: 'Mock reply to: bearer' }]);
    const res = await post(url, { model, max_tokens: 50, messages: user('raw') }, { 'x-api-key': 'dev', 'anthropic-version': '2023-06-01' });
    expect(res.status).toBe(200);
    expect((await res.json()).type).toBe('message');
  });

  it('wait: false answers 202 at once with the message.async shape; the result is read at /v1/requests/{id}', async () => {
    const { data, response } = await anthropic.messages
      .create(withExtensions({ model, max_tokens: 50, messages: user('later'), metadata: { mock_latency_ms: '300' } as Anthropic.Metadata }, { wait: false }))
      .withResponse();
    expect(response.status).toBe(202);
    const body = data as unknown as Record<string, unknown>;
    expect(body).toEqual({ id: expect.stringMatching(ID), type: 'message.async', status: 'queued', model, created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), completion_window: 'standard' });
    expect(response.headers.get('location')).toBe(`/v1/requests/${body.id}`);
    const done = await pollRequest(mesh.url, body.id as string, (r) => r.status === 'completed');
    expect(done).toMatchObject({ api: 'messages', result: { id: body.id, type: 'message', content: [{ type: 'text', text: 'Mock reply to: later' }] } });
    expect(anthropicShapeErrors('Message', done.result)).toEqual([]);
  });

  it('wait: true past its wait_timeout answers 202, and the message still completes', async () => {
    const res = await post(url, { model, max_tokens: 50, messages: user('slow'), wait: true, wait_timeout: 0.3, metadata: { mock_latency_ms: '1500' } });
    expect(res.status).toBe(202);
    const body = await res.json();
    expect(body).toMatchObject({ type: 'message.async', status: expect.stringMatching(/^(queued|in_progress)$/), completion_window: 'asap' });
    await pollRequest(mesh.url, body.id, (r) => r.status === 'completed');
  });
});

describe('tool calls with the Anthropic SDK (the mock calls the chosen or first tool)', () => {
  const tools: Anthropic.Tool[] = [
    { name: 'get_weather', description: 'Weather by city', input_schema: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer', minimum: 1 } }, required: ['city'] } },
    { name: 'get_time', input_schema: { type: 'object', properties: {} } },
  ];

  it('a whole loop: tool_use with stop_reason tool_use, then the tool_result is answered in text', async () => {
    const question = user('weather in Paris?');
    const first = await anthropic.messages.create({ model, max_tokens: 100, tools, messages: question });
    expect(first).toMatchObject({
      type: 'message', stop_reason: 'tool_use', stop_sequence: null,
      content: [{ type: 'tool_use', id: expect.any(String), name: 'get_weather', input: { city: 'Mock reply to: weather in Paris?', days: 1 } }],
    });
    expect(anthropicShapeErrors('Message', first)).toEqual([]);
    expect(first.content).toHaveLength(1);
    const call = first.content[0] as Anthropic.ToolUseBlock;

    const second = await anthropic.messages.create({
      model, max_tokens: 100, tools,
      messages: [...question, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: 'sunny, 24 °C' }] }],
    });
    expect(second).toMatchObject({ stop_reason: 'end_turn', content: [{ type: 'text', text: 'Mock reply to: sunny, 24 °C' }] });
    expect(anthropicShapeErrors('Message', second)).toEqual([]);
  });

  it('tool_choice picks the tool (or none), and the stored result keeps the tool_use', async () => {
    const { data, response } = await anthropic.messages.create({ model, max_tokens: 100, tools, tool_choice: { type: 'tool', name: 'get_time', disable_parallel_tool_use: true }, messages: user('time?') }).withResponse();
    expect(data).toMatchObject({ stop_reason: 'tool_use', content: [{ type: 'tool_use', name: 'get_time', input: {} }] });
    const stored = await (await get(`${mesh.url}/v1/requests/${response.headers.get('x-request-id')}`)).json();
    expect(stored.result).toMatchObject({ stop_reason: 'tool_use', content: data.content });

    const none = await anthropic.messages.create({ model, max_tokens: 100, tools, tool_choice: { type: 'none' }, messages: user('no tools') });
    expect(none).toMatchObject({ stop_reason: 'end_turn', content: [{ type: 'text', text: 'Mock reply to: no tools' }] });
  });

  it('count_tokens takes the prompt with its tools: the input the same request is billed', async () => {
    const counted = await anthropic.messages.countTokens({ model, tools, tool_choice: { type: 'any' }, messages: user('weather in Paris?') });
    const msg = await anthropic.messages.create({ model, max_tokens: 100, tools, tool_choice: { type: 'any' }, messages: user('weather in Paris?') });
    expect(counted).toEqual({ input_tokens: msg.usage.input_tokens });
  });
});

describe('extended thinking with the Anthropic SDK (the mock thinks when asked)', () => {
  const thinking = { type: 'enabled' as const, budget_tokens: 1024 };
  const thought = { type: 'thinking', thinking: 'Mock thinking about: why?', signature: 'mock-signature' };

  it('messages.create: the thinking block first, then the text; stored so; in the Message shape', async () => {
    const { data, response } = await anthropic.messages.create({ model, max_tokens: 2000, thinking, messages: user('why?') }).withResponse();
    expect(data.content).toEqual([thought, { type: 'text', text: 'Mock reply to: why?' }]);
    expect(anthropicShapeErrors('Message', data)).toEqual([]);
    const stored = await (await get(`${mesh.url}/v1/requests/${response.headers.get('x-request-id')}`)).json();
    expect(stored.result.content).toEqual(data.content);
  });

  it("messages.stream: the thinking streams as the mock thinks (2+ thinking_delta, one signature_delta, before the text); finalMessage is the unstreamed message", async () => {
    const pieces: string[] = [];
    const final = await anthropic.messages.stream({ model, max_tokens: 2000, thinking, messages: user('why?') }).on('thinking', (t) => pieces.push(t)).finalMessage();
    const plain = await anthropic.messages.create({ model, max_tokens: 2000, thinking, messages: user('why?') });
    const { parsed_output: _parsed, ...message } = final as typeof final & { parsed_output?: unknown }; // the SDK's own addition
    expect({ ...message, id: 'same' }).toEqual({ ...plain, id: 'same' });
    expect(final.content).toEqual([thought, { type: 'text', text: 'Mock reply to: why?' }]);
    expect(pieces.length).toBeGreaterThanOrEqual(2);
    const res = await post(url, { model, max_tokens: 2000, thinking, messages: user('why?'), stream: true }, { 'x-api-key': 'dev' });
    const events = eventsOf(await readSse(res as unknown as Response));
    for (const e of events) expect(anthropicStreamEventErrors(e)).toEqual([]);
    const blocks = events.filter((e) => e.event === 'content_block_delta').map((e) => e.data.delta.type);
    const thoughts = blocks.filter((b) => b === 'thinking_delta').length;
    expect(thoughts).toBeGreaterThanOrEqual(2);
    expect(blocks).toEqual([...Array(thoughts).fill('thinking_delta'), 'signature_delta', ...Array(blocks.length - thoughts - 1).fill('text_delta')]);
    expect(events.find((e) => e.event === 'content_block_start')!.data.content_block).toEqual({ type: 'thinking', thinking: '', signature: '' });
  });

  it('messages.stream: the first thinking piece reaches the client while the mock is still thinking', async () => {
    const stream = anthropic.messages.stream({ model, max_tokens: 2000, thinking, messages: user('slow thoughts'), metadata: { mock_chunk_delay_ms: '150' } } as never);
    const first = await new Promise<number>((resolve) => stream.on('thinking', () => resolve(Date.now())));
    const final = await stream.finalMessage();
    const ended = Date.now();
    expect(ended - first).toBeGreaterThanOrEqual(600); // the rest of its pieces (9), 150 ms apart, came after
    expect(final.content[0]).toEqual({ ...thought, thinking: 'Mock thinking about: slow thoughts' });
  });

  it('messages.stream with tools: the thinking block, then the tool_use in pieces; finalMessage is the unstreamed message', async () => {
    const tools = [{ name: 'get_weather', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] } }];
    const request = { model, max_tokens: 2000, thinking, tools, messages: user('Paris?') };
    const stream = anthropic.messages.stream(request);
    const order: string[] = [];
    stream.on('thinking', () => order.push('thinking')).on('inputJson', () => order.push('json'));
    const final = await stream.finalMessage();
    const plain = await anthropic.messages.create(request);
    expect(final.content).toEqual(plain.content);
    expect(final.content.map((b) => b.type)).toEqual(['thinking', 'tool_use']);
    expect(order.lastIndexOf('thinking')).toBeLessThan(order.indexOf('json'));
    expect(order.filter((o) => o === 'thinking').length).toBeGreaterThanOrEqual(2);
  });
});

describe('images with the Anthropic SDK (the mock answers the text)', () => {
  it('a user turn with a base64 image, text and a url image is answered, and the stored request keeps the images', async () => {
    const content: Anthropic.ContentBlockParam[] = [pngBlock, { type: 'text', text: 'what is in this picture?' }, { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } }];
    const { data, response } = await anthropic.messages.create({ model, max_tokens: 100, messages: [{ role: 'user', content }] }).withResponse();
    expect(response.status).toBe(200);
    expect(data).toMatchObject({ type: 'message', stop_reason: 'end_turn', content: [{ type: 'text', text: 'Mock reply to: what is in this picture?' }] });
    expect(anthropicShapeErrors('Message', data)).toEqual([]);
    expect((await readRecord(mesh.nats.url, data.id)).body.messages).toEqual([{ role: 'user', content }]);
  });

  it('an image after a tool result, in the same user turn, is taken; the answer is to the text after it', async () => {
    const tools: Anthropic.Tool[] = [{ name: 'snap', input_schema: { type: 'object', properties: {} } }];
    const first = await anthropic.messages.create({ model, max_tokens: 100, tools, messages: user('take a picture') });
    const call = first.content[0] as Anthropic.ToolUseBlock;
    const second = await anthropic.messages.create({
      model, max_tokens: 100, tools, tool_choice: { type: 'none' },
      messages: [...user('take a picture'), { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: 'taken' }, pngBlock, { type: 'text', text: 'what is on it?' }] }],
    });
    expect(second).toMatchObject({ stop_reason: 'end_turn', content: [{ type: 'text', text: 'Mock reply to: what is on it?' }] });
  });

  it('count_tokens takes a prompt with an image', async () => {
    const counted = await anthropic.messages.countTokens({ model, messages: [{ role: 'user', content: [pngBlock, { type: 'text', text: 'count me' }] }] });
    expect(counted.input_tokens).toBeGreaterThan(0);
  });

  it('an image on an assistant turn is a BadRequestError naming the part', async () => {
    const err = await anthropic.messages.create({ model, max_tokens: 10, messages: [...user('x'), { role: 'assistant', content: [pngBlock] }] }).catch((e) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect(err.error).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: "'messages[1].content': part 0 of type 'image' is only for user turns" }, request_id: null });
  });
});

describe('errors: the SDK error classes, in Anthropic envelope', () => {
  it('BadRequestError names the missing field', async () => {
    const err = await anthropic.messages.create({ model, messages: user('x') } as Anthropic.MessageCreateParamsNonStreaming).catch((e) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect(err.error).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: "'max_tokens' is required" }, request_id: null });
  });

  it('NotFoundError for an unknown model', async () => {
    const err = await anthropic.messages.create({ model: 'claude-nope', max_tokens: 5, messages: user('x') }).catch((e) => e);
    expect(err).toBeInstanceOf(Anthropic.NotFoundError);
    expect(err.error.error).toMatchObject({ type: 'not_found_error', message: expect.stringContaining("'claude-nope'") });
  });

  it('UnprocessableEntityError for an Idempotency-Key reused with a different request', async () => {
    const key = `msg-${Date.now()}`;
    await anthropic.messages.create({ model, max_tokens: 5, messages: user('first') }, { headers: { 'idempotency-key': key } });
    const err = await anthropic.messages.create({ model, max_tokens: 5, messages: user('second') }, { headers: { 'idempotency-key': key } }).catch((e) => e);
    expect(err).toBeInstanceOf(Anthropic.UnprocessableEntityError);
    expect(err.error.error.type).toBe('invalid_request_error');
    expect(anthropicShapeErrors('ErrorResponse', err.error)).toEqual([]);
  });

  it('ConflictError for a waiting caller whose request was cancelled (found through the same Idempotency-Key)', async () => {
    const key = `cancel-${Date.now()}`;
    const params = { model, max_tokens: 5, messages: user('cancel me'), metadata: { mock_latency_ms: '5000' } as Anthropic.Metadata };
    const waiting = anthropic.messages.create(params, { headers: { 'idempotency-key': key } }).catch((e) => e);
    const attached = await post(url, { ...params, wait: false }, { 'idempotency-key': key });
    const { id } = await attached.json();
    expect((await post(`${mesh.url}/v1/requests/${id}/cancel`, {})).status).toBe(200);
    const err = await waiting;
    expect(err).toBeInstanceOf(Anthropic.ConflictError);
    expect(err.error).toEqual({ type: 'error', error: { type: 'conflict_error', message: `Request ${id} was cancelled.` }, request_id: id });
  });

  it('InternalServerError (api_error) when retries run out, with the request id to look it up', async () => {
    const err = await anthropic.messages.create({ model, max_tokens: 5, messages: user('doomed'), metadata: { mock_fail: 'retryable' } as Anthropic.Metadata }).catch((e) => e);
    expect(err).toBeInstanceOf(Anthropic.InternalServerError);
    expect(err.status).toBe(502);
    expect(err.error).toMatchObject({ type: 'error', error: { type: 'api_error', message: 'mock failure (retryable) on attempt 2' }, request_id: expect.stringMatching(ID) });
  });
});

describe('bad input: Anthropic envelope, no 5xx, no record', () => {
  const base = { model, max_tokens: 10, messages: user('x') };
  const cases: [string, string | object, Record<string, string>, number, string, RegExp][] = [
    ['malformed JSON', '{"model": "mock-1", "messages": [', {}, 400, 'invalid_request_error', /could not parse the JSON body/],
    ['an empty body', '', {}, 400, 'invalid_request_error', /could not parse the JSON body/],
    ['a JSON array', '[1,2]', {}, 400, 'invalid_request_error', /must be a JSON object/],
    ['missing model', { max_tokens: 10, messages: user('x') }, {}, 400, 'invalid_request_error', /'model' is required/],
    ['missing max_tokens', { model, messages: user('x') }, {}, 400, 'invalid_request_error', /'max_tokens' is required/],
    ['max_tokens of 0', { ...base, max_tokens: 0 }, {}, 400, 'invalid_request_error', /'max_tokens' must not be less than 1/],
    ['missing messages', { model, max_tokens: 10 }, {}, 400, 'invalid_request_error', /'messages' is required/],
    ['messages of the wrong type', { ...base, messages: 'hi' }, {}, 400, 'invalid_request_error', /'messages' must be an array of messages/],
    ['a message without a role', { ...base, messages: [{ content: 'x' }] }, {}, 400, 'invalid_request_error', /'messages\[0\].role' is required/],
    ['max_tokens of the wrong type', { ...base, max_tokens: 'ten' }, {}, 400, 'invalid_request_error', /'max_tokens' must be an integer/],
    ['no messages', { ...base, messages: [] }, {}, 400, 'invalid_request_error', /'messages' must contain at least one message/],
    ['a tool role', { ...base, messages: [{ role: 'tool', content: 'x' }] }, {}, 400, 'invalid_request_error', /'messages\[0\].role' must be one of user, assistant, system/],
    ['content of the wrong type', { ...base, messages: [{ role: 'user', content: 5 }] }, {}, 400, 'invalid_request_error', /'messages\[0\].content': must be a string or an array/],
    ['an image on an assistant turn', { ...base, messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: [pngBlock] }] }, {}, 400, 'invalid_request_error', /^'messages\[1\]\.content': part 0 of type 'image' is only for user turns$/],
    ['a document block', { ...base, messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'x' } }] }] }, {}, 400, 'invalid_request_error', /^'messages\[0\]\.content': part 0 has type 'document', which ReqRun cannot translate yet \(send text, image or tool_result parts\)$/],
    ['an image from the Files API', { ...base, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'file', file_id: 'file_1' } }] }] }, {}, 400, 'invalid_request_error', /^'messages\[0\]\.content': part 0 \(image\) source has type 'file', which ReqRun cannot translate yet/],
    ['system of the wrong type', { ...base, system: { text: 'x' } }, {}, 400, 'invalid_request_error', /'system': must be a string or an array/],
    ['stop_sequences that are not strings', { ...base, stop_sequences: [1] }, {}, 400, 'invalid_request_error', /stop_sequences/],
    ['a server tool (only custom tools are translated)', { ...base, tools: [{ type: 'web_search_20250305', name: 'web_search' }] }, {}, 400, 'invalid_request_error', /^'tools\[0\]\.type' must be 'custom' or left out: only custom tools/],
    ['a tool_choice naming no tool', { ...base, tools: [{ name: 'f', input_schema: { type: 'object' } }], tool_choice: { type: 'tool', name: 'g' } }, {}, 400, 'invalid_request_error', /^'tool_choice': type 'tool' needs the name of one of the tools/],
    ['a tool_result on an assistant turn', { ...base, messages: [{ role: 'assistant', content: [{ type: 'tool_result', tool_use_id: 't', content: 'x' }] }] }, {}, 400, 'invalid_request_error', /part 0 of type 'tool_result' is only for user turns/],
    ['temperature above 1', { ...base, temperature: 1.5 }, {}, 400, 'invalid_request_error', /'temperature' must not be greater than 1/],
    ['a thinking budget under 1024', { ...base, thinking: { type: 'enabled', budget_tokens: 512 } }, {}, 400, 'invalid_request_error', /^'thinking': budget_tokens must be an integer of at least 1024$/],
    ['a thinking budget not under max_tokens', { ...base, thinking: { type: 'enabled', budget_tokens: 1024 } }, {}, 400, 'invalid_request_error', /^'thinking': budget_tokens \(1024\) must be less than max_tokens \(10\)$/],
    ['wait of the wrong type', { ...base, wait: 'yes' }, {}, 400, 'invalid_request_error', /'wait'/],
    ['an unknown model', { ...base, model: 'claude-nope' }, {}, 404, 'not_found_error', /The model 'claude-nope' does not exist/],
    ['an unknown window', { ...base, completion_window: 'someday' }, {}, 400, 'invalid_request_error', /Invalid completion_window 'someday'/],
    ['stream: true with wait: false', { ...base, stream: true, wait: false }, {}, 400, 'invalid_request_error', /cannot be combined with wait: false/],
    ['a body that is not JSON', 'hello', { 'content-type': 'text/plain' }, 415, 'invalid_request_error', /Content-Type: application\/json/],
    ['a body over the limit', { ...base, messages: user('x'.repeat(5 * 1024 * 1024)) }, {}, 413, 'request_too_large', /larger than this server accepts/],
  ];
  it.each(cases)('%s', async (_n, body, headers, status, type, message) => {
    const before = await countRecords(mesh.nats.url);
    const res = await post(url, body, headers);
    expect(res.status).toBe(status);
    const json = await res.json();
    expect(json).toEqual({ type: 'error', error: { type, message: expect.stringMatching(message) }, request_id: null });
    expect(anthropicShapeErrors('ErrorResponse', json)).toEqual([]);
    expect(await countRecords(mesh.nats.url)).toBe(before);
  });

  it('an unknown route under /v1/messages is a 404 in Anthropic envelope', async () => {
    const res = await post(`${url}/not-a-route`, base);
    expect(res.status).toBe(404);
    expect((await res.json()).error.type).toBe('not_found_error');
  });

});

describe('messages.countTokens (POST /v1/messages/count_tokens): asked of the provider at once, nothing stored', () => {
  const prompt = {
    model, system: 'be brief',
    messages: [{ role: 'user' as const, content: 'how many tokens is this?' }, { role: 'assistant' as const, content: 'a few' }, { role: 'user' as const, content: [{ type: 'text' as const, text: 'and this' }] }],
  };

  it('counts what the same prompt is billed as input, and stores no request', async () => {
    const before = await countRecords(mesh.nats.url);
    const counted = await anthropic.messages.countTokens(prompt);
    expect(await countRecords(mesh.nats.url)).toBe(before);
    const msg = await anthropic.messages.create({ ...prompt, max_tokens: 50 });
    expect(counted).toEqual({ input_tokens: msg.usage.input_tokens });
    expect(counted.input_tokens).toBeGreaterThan(1);
  });

  const cases: [string, string | object, number, string, RegExp][] = [
    ['malformed JSON', '{"model": "mock-1", "messages": [', 400, 'invalid_request_error', /could not parse the JSON body/],
    ['missing model', { messages: user('x') }, 400, 'invalid_request_error', /'model' is required/],
    ['missing messages', { model }, 400, 'invalid_request_error', /'messages' is required/],
    ['an image on an assistant turn', { model, messages: [{ role: 'assistant', content: [pngBlock] }] }, 400, 'invalid_request_error', /part 0 of type 'image' is only for user turns/],
    ['an unknown model', { model: 'claude-nope', messages: user('x') }, 404, 'not_found_error', /The model 'claude-nope' does not exist/],
  ];
  it.each(cases)('%s: a 4xx in Anthropic envelope', async (_n, body, status, type, message) => {
    const res = await post(`${url}/count_tokens`, body);
    expect(res.status).toBe(status);
    const json = await res.json();
    expect(json).toEqual({ type: 'error', error: { type, message: expect.stringMatching(message) }, request_id: null });
    expect(anthropicShapeErrors('ErrorResponse', json)).toEqual([]);
  });

  it('a prompt larger than NATS carries (a NATS with the 1 MiB default max_payload, under a 4 MiB body limit) is a 413', async () => {
    const nats = await startNats({ maxPayload: 1024 * 1024 });
    const small = await startMesh({ nats, config, apps: { scheduler: 0 } });
    try {
      const res = await post(`${small.url}/v1/messages/count_tokens`, { model, messages: user('x'.repeat(2 * 1024 * 1024)) });
      expect(res.status).toBe(413);
      expect((await res.json()).error).toEqual({ type: 'request_too_large', message: expect.stringMatching(/too large to count/) });
      const fits = await post(`${small.url}/v1/messages/count_tokens`, { model, messages: user('x'.repeat(1000)) });
      expect(await fits.json()).toEqual({ input_tokens: 250 });
    } finally {
      await small.stop();
      await nats.stop();
    }
  });

  it('with no adapters process to ask: a 503 that says so, and the next count works once they are back', async () => {
    const adapters = mesh.apps.find((a) => a.app === 'adapters')!;
    await adapters.stop();
    try {
      const err = await anthropic.messages.countTokens(prompt).catch((e) => e);
      expect(err).toBeInstanceOf(Anthropic.InternalServerError);
      expect(err.status).toBe(503);
      expect(err.error.error.message).toMatch(/No adapters process counted the tokens for provider 'mock'/);
    } finally {
      await adapters.restart();
    }
    expect((await anthropic.messages.countTokens(prompt)).input_tokens).toBeGreaterThan(1);
  });
});

describe('GET /v1/requests/{id}: one view, whatever API made the request', () => {
  const create: Record<string, () => Promise<string>> = {
    chat: async () => (await openai.chat.completions.create({ model, messages: user('via chat') })).id,
    responses: async () => (await openai.responses.create({ model, input: 'via responses' })).id,
    messages: async () => (await anthropic.messages.create({ model, max_tokens: 50, messages: user('via messages') })).id,
  };
  const resultErrors: Record<string, (r: unknown) => string[]> = {
    chat: (r) => schemaErrors('CreateChatCompletionResponse', r),
    responses: (r) => schemaErrors('Response', r),
    messages: (r) => anthropicShapeErrors('Message', r),
  };
  const text: Record<string, (r: any) => string> = {
    chat: (r) => r.choices[0].message.content,
    responses: (r) => r.output[0].content[0].text,
    messages: (r) => r.content[0].text,
  };

  it.each(['chat', 'responses', 'messages'])('%s: status, attempts, history, usage, and the result in its API shape', async (api) => {
    const id = await create[api]();
    const r = await (await get(`${mesh.url}/v1/requests/${id}`)).json();
    expect(r).toMatchObject({
      id, object: 'request', api, status: 'completed', model, completion_window: 'asap', attempts: 1,
      history: [expect.objectContaining({ attempt: 1, provider: 'mock', outcome: 'completed' })],
      usage: { input_tokens: expect.any(Number), output_tokens: expect.any(Number), total_tokens: expect.any(Number) }, error: null,
    });
    expect(r.result.id).toBe(id);
    expect(text[api](r.result)).toBe(`Mock reply to: via ${api}`);
    expect(resultErrors[api](r.result)).toEqual([]);
  });
});

describe('the Models API in Anthropic’s shape (the SDK sends anthropic-version; OpenAI’s callers keep theirs)', () => {
  it('models.list walks every page; models.retrieve answers one; an unknown model is a NotFoundError in Anthropic’s envelope', async () => {
    const ids: string[] = [];
    for await (const m of anthropic.models.list({ limit: 2 })) {
      expect(m).toMatchObject({ type: 'model', display_name: m.id, created_at: '1970-01-01T00:00:00Z', lifecycle: 'active' });
      ids.push(m.id);
    }
    expect(ids).toEqual(['mock-1', 'mock-2', 'mock-3']);
    const first = await anthropic.models.list({ limit: 2 });
    expect(first).toMatchObject({ has_more: true, first_id: 'mock-1', last_id: 'mock-2' });
    const before = await anthropic.models.list({ before_id: 'mock-3', limit: 1 });
    expect(before.data.map((m) => m.id)).toEqual(['mock-2']);
    expect(await anthropic.models.retrieve('mock-2')).toMatchObject({ type: 'model', id: 'mock-2' });

    const missing = await anthropic.models.retrieve('nope').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(Anthropic.NotFoundError);
    expect((missing as InstanceType<typeof Anthropic.NotFoundError>).error).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    const badLimit = await anthropic.models.list({ limit: 0 }).catch((e: unknown) => e);
    expect(badLimit).toBeInstanceOf(Anthropic.BadRequestError);

    // the same endpoints without the header: OpenAI's list
    const openaiIds = [];
    for await (const m of openai.models.list()) openaiIds.push(m.id);
    expect(openaiIds).toEqual(['mock-1', 'mock-2', 'mock-3']);
  });
});


import OpenAI from 'openai';
import { metricValue, startMesh, type Mesh } from '@reqrun/testing';
import { schemaErrors } from './support/openai-schema.js';
import { countRecords, get, pollRequest, post } from './support/records.js';

const config = {
  retry: { max_attempts: 3, base_delay_ms: 20, max_delay_ms: 100 },
  wait: { default_s: 5, max_s: 30, sync_s: 30 },
};
const user = (content: string) => [{ role: 'user' as const, content }];
const ID = /^rr_[0-9A-HJKMNP-TV-Z]{26}$/;

let mesh: Mesh;
let client: OpenAI;
let chatUrl: string;
const mockCalls = () => metricValue(`${mesh.apps.find((a) => a.app === 'adapters')!.url}/metrics`, 'reqrun_upstream_calls_total', { provider: 'mock' });

beforeAll(async () => {
  mesh = await startMesh({ config });
  client = new OpenAI({ baseURL: `${mesh.url}/v1`, apiKey: 'dev', maxRetries: 0 });
  chatUrl = `${mesh.url}/v1/chat/completions`;
});
afterAll(() => mesh?.stop());

describe('chat completions through the mesh', () => {
  it('answers synchronously when no wait field is sent, in OpenAI shape, with x-request-id', async () => {
    const { data, response } = await client.chat.completions.create({ model: 'mock-1', messages: user('hello') }).withResponse();
    expect(data.id).toMatch(ID);
    expect(response.headers.get('x-request-id')).toBe(data.id);
    expect(data.choices[0].message.content).toBe('Mock reply to: hello');
    expect(schemaErrors('CreateChatCompletionResponse', data)).toEqual([]);
  });

  it('wait: true returns the completion when it finishes in time', async () => {
    const res = await post(chatUrl, { model: 'mock-1', messages: user('quick'), wait: true, metadata: { mock_latency_ms: '50' } });
    expect(res.status).toBe(200);
    expect((await res.json()).object).toBe('chat.completion');
  });

  it('wait: true past its timeout answers 202 with the async shape, and the request still completes', async () => {
    const res = await post(chatUrl, { model: 'mock-1', messages: user('slow'), wait: true, wait_timeout: 0.3, metadata: { mock_latency_ms: '1200' } });
    expect(res.status).toBe(202);
    const body = await res.json();
    expect(body).toEqual({ id: expect.stringMatching(ID), object: 'chat.completion.async', status: expect.stringMatching(/queued|in_progress/), model: 'mock-1', created: expect.any(Number), completion_window: 'asap' });
    expect(res.headers.get('location')).toBe(`/v1/requests/${body.id}`);
    expect(res.headers.get('x-request-id')).toBe(body.id);
    const done = await pollRequest(mesh.url, body.id, (r) => r.status === 'completed');
    expect(done.result.choices[0].message.content).toBe('Mock reply to: slow');
  });

  it('Prefer: wait=N bounds the wait like wait_timeout', async () => {
    const res = await post(chatUrl, { model: 'mock-1', messages: user('prefer'), metadata: { mock_latency_ms: '1500' } }, { prefer: 'wait=0.2' });
    expect(res.status).toBe(202);
    await pollRequest(mesh.url, (await res.json()).id, (r) => r.status === 'completed'); // its provider call must not land in a later test's count
  });

  it.each([
    ['wait: false', { wait: false }, {}],
    ['Prefer: respond-async', {}, { prefer: 'respond-async' }],
  ])('%s answers 202 at once and runs on the standard window', async (_n, extra, headers) => {
    const res = await post(chatUrl, { model: 'mock-1', messages: user('later'), metadata: { mock_latency_ms: '300' }, ...extra }, headers);
    expect(res.status).toBe(202);
    const body = await res.json();
    expect(body).toMatchObject({ object: 'chat.completion.async', status: 'queued', completion_window: 'standard' });
    await pollRequest(mesh.url, body.id, (r) => r.status === 'completed');
  });

  it('the SDK passes wait: false through and gets the async shape', async () => {
    const data: any = await client.chat.completions.create({ model: 'mock-1', messages: user('sdk async'), wait: false } as any);
    expect(data).toMatchObject({ id: expect.stringMatching(ID), object: 'chat.completion.async', status: 'queued' });
    await pollRequest(mesh.url, data.id, (r) => r.status === 'completed');
  });

  it('GET /v1/requests/{id} shows status, attempts, history, timestamps, usage and the result', async () => {
    const c = await client.chat.completions.create({ model: 'mock-1', messages: user('inspect me') });
    const r = await (await get(`${mesh.url}/v1/requests/${c.id}`)).json();
    expect(r).toMatchObject({
      id: c.id, object: 'request', api: 'chat', status: 'completed', model: 'mock-1', completion_window: 'asap', attempts: 1,
      created_at: expect.any(Number), started_at: expect.any(Number), completed_at: expect.any(Number),
      usage: { input_tokens: c.usage!.prompt_tokens, output_tokens: c.usage!.completion_tokens, total_tokens: c.usage!.total_tokens },
      error: null,
    });
    expect(r.history).toEqual([expect.objectContaining({ attempt: 1, provider: 'mock', model: 'mock-1', outcome: 'completed', latency_ms: expect.any(Number) })]);
    expect(r.result).toEqual(c);
  });
});

describe('images', () => {
  it('a user turn with image_url parts (inline and by URL) is answered; the stored request keeps them', async () => {
    const content = [
      { type: 'text' as const, text: 'What is this?' },
      { type: 'image_url' as const, image_url: { url: 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', detail: 'low' as const } },
      { type: 'image_url' as const, image_url: { url: 'https://example.com/cat.png' } },
    ];
    const c = await client.chat.completions.create({ model: 'mock-1', messages: [{ role: 'user', content }] });
    expect(c.choices[0].message.content).toBe('Mock reply to: What is this?');
    const r = await (await get(`${mesh.url}/v1/requests/${c.id}`)).json();
    expect(r.status).toBe('completed');
    const bad = await client.chat.completions.create({ model: 'mock-1', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/tiff;base64,AAAA' } }] }] }).catch((e) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect(bad.error.message).toMatch(/image\/tiff; inline images must be one of/);
  });
});

describe('tool calls (the mock calls the first tool it is given)', () => {
  const tools = [{
    type: 'function' as const,
    function: { name: 'get_weather', description: 'The weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false }, strict: true },
  }];

  it('a whole tool loop with the SDK: the call, then the answer to its result', async () => {
    const question = user('Weather in Paris?');
    const first = await client.chat.completions.create({ model: 'mock-1', messages: question, tools });
    expect(first.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: { role: 'assistant', content: null, tool_calls: [{ id: expect.any(String), type: 'function', function: { name: 'get_weather' } }] },
    });
    expect(schemaErrors('CreateChatCompletionResponse', first)).toEqual([]);
    const call = first.choices[0].message.tool_calls![0];
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ city: 'Mock reply to: Weather in Paris?' });
    const second = await client.chat.completions.create({
      model: 'mock-1', tools, messages: [...question, first.choices[0].message, { role: 'tool', tool_call_id: call.id, content: 'sunny, 21 C' }],
    });
    expect(second.choices[0]).toMatchObject({ finish_reason: 'stop', message: { content: 'Mock reply to: sunny, 21 C' } });
    const r = await (await get(`${mesh.url}/v1/requests/${first.id}`)).json();
    expect(r.result.choices[0].message.tool_calls).toEqual(first.choices[0].message.tool_calls);
  });

  it("tool_choice: 'none' answers in text; a tool_choice naming no tool is a 400", async () => {
    const c = await client.chat.completions.create({ model: 'mock-1', messages: user('hi'), tools, tool_choice: 'none' });
    expect(c.choices[0]).toMatchObject({ finish_reason: 'stop', message: { content: 'Mock reply to: hi' } });
    const bad = await client.chat.completions.create({ model: 'mock-1', messages: user('hi'), tools, tool_choice: { type: 'function', function: { name: 'nope' } } }).catch((e) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect(bad.error).toMatchObject({ param: 'tool_choice' });
  });
});

describe('JSON answer formats (the mock answers in them)', () => {
  const schema = {
    type: 'object', additionalProperties: false, required: ['city', 'population', 'tags', 'capital'],
    properties: { city: { type: 'string' }, population: { type: 'integer', minimum: 1 }, tags: { type: 'array', items: { type: 'string' } }, capital: { type: 'boolean' } },
  };

  it('JSON mode: the answer is a JSON object', async () => {
    const c = await client.chat.completions.create({ model: 'mock-1', messages: user('as json'), response_format: { type: 'json_object' } });
    expect(JSON.parse(c.choices[0].message.content!)).toEqual({ reply: 'Mock reply to: as json' });
    expect(schemaErrors('CreateChatCompletionResponse', c)).toEqual([]);
  });

  it('a JSON schema: the answer follows it, whole or streamed; the request keeps the format', async () => {
    const response_format = { type: 'json_schema' as const, json_schema: { name: 'city_facts', schema, strict: true } };
    const c = await client.chat.completions.create({ model: 'mock-1', messages: user('Paris'), response_format });
    expect(JSON.parse(c.choices[0].message.content!)).toEqual({ city: 'Mock reply to: Paris', population: 1, tags: ['Mock reply to: Paris'], capital: true });
    const stream = await client.chat.completions.create({ model: 'mock-1', messages: user('Lyon'), response_format, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(JSON.parse(text)).toMatchObject({ city: 'Mock reply to: Lyon' });
    const r = await (await get(`${mesh.url}/v1/requests/${c.id}`)).json();
    expect(r.result.choices[0].message.content).toBe(c.choices[0].message.content);
  });
});

describe('idempotency', () => {
  it('50 concurrent identical submissions make one record and one provider call, and all get the same completion', async () => {
    const before = { records: await countRecords(mesh.nats.url), calls: await mockCalls() };
    const body = { model: 'mock-1', messages: user('once only'), wait: true, idempotency_key: `k-${Date.now()}`, metadata: { mock_latency_ms: '200' } };
    const answers = await Promise.all(Array.from({ length: 50 }, () => post(chatUrl, body).then(async (r) => ({ status: r.status, body: await r.json() }))));
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([200]));
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(new Set(answers.map((a) => JSON.stringify(a.body))).size).toBe(1);
    expect(await countRecords(mesh.nats.url)).toBe(before.records + 1);
    expect(await mockCalls()).toBe(before.calls + 1);
  });

  it('the Idempotency-Key header (quoted or not) works like the body field, ignoring wait and stream fields', async () => {
    const key = `h-${Date.now()}`;
    const a = await (await post(chatUrl, { model: 'mock-1', messages: user('hdr'), wait: false }, { 'idempotency-key': key })).json();
    const b = await (await post(chatUrl, { model: 'mock-1', messages: user('hdr'), wait: true, stream: false }, { 'idempotency-key': `"${key}"` })).json();
    expect(b.id).toBe(a.id);
    expect(b.object).toBe('chat.completion');
  });

  it('the same key with a different request is 422 idempotency_key_reused', async () => {
    const key = `r-${Date.now()}`;
    await client.chat.completions.create({ model: 'mock-1', messages: user('first') }, { headers: { 'idempotency-key': key } });
    const err = await client.chat.completions.create({ model: 'mock-1', messages: user('second') }, { headers: { 'idempotency-key': key } }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.UnprocessableEntityError);
    expect(err.error).toMatchObject({ code: 'idempotency_key_reused', param: 'idempotency_key' });
  });
});

describe('retries', () => {
  it('retries a retryable failure with backoff and counts every attempt', async () => {
    const c = await client.chat.completions.create({ model: 'mock-1', messages: user('flaky'), metadata: { mock_fail: 'retryable:2' } });
    const r = await (await get(`${mesh.url}/v1/requests/${c.id}`)).json();
    expect(r).toMatchObject({ status: 'completed', attempts: 3 });
    expect(r.history.map((h: any) => h.outcome)).toEqual(['failed', 'failed', 'completed']);
    expect(r.history[0].error).toEqual({ code: 'upstream_error', message: 'mock failure (retryable) on attempt 1' });
  });

  it('fails after max_attempts with the last error, and the waiting caller gets it', async () => {
    const res = await post(chatUrl, { model: 'mock-1', messages: user('doomed'), metadata: { mock_fail: 'retryable' } });
    expect(res.status).toBe(502);
    const id = res.headers.get('x-request-id')!;
    expect(await res.json()).toEqual({ error: { message: 'mock failure (retryable) on attempt 3', type: 'server_error', param: null, code: 'upstream_error' } });
    const r = await (await get(`${mesh.url}/v1/requests/${id}`)).json();
    expect(r).toMatchObject({ status: 'failed', attempts: 3, error: { code: 'upstream_error', message: 'mock failure (retryable) on attempt 3' } });
  });

  it('does not retry a terminal failure', async () => {
    const err = await client.chat.completions.create({ model: 'mock-1', messages: user('rejected'), metadata: { mock_fail: 'terminal' } }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const r = await (await get(`${mesh.url}/v1/requests/${err.headers.get('x-request-id')}`)).json();
    expect(r).toMatchObject({ status: 'failed', attempts: 1 });
  });
});

describe('cancel', () => {
  it('cancels a running request, aborting its provider call; cancelling again returns the same', async () => {
    const { id } = await (await post(chatUrl, { model: 'mock-1', messages: user('long'), wait: false, completion_window: 'asap', metadata: { mock_latency_ms: '5000' } })).json();
    await pollRequest(mesh.url, id, (r) => r.status === 'in_progress');
    const first = await post(`${mesh.url}/v1/requests/${id}/cancel`, {});
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ id, status: 'cancelled', history: [expect.objectContaining({ outcome: 'cancelled' })] });
    const again = await (await post(`${mesh.url}/v1/requests/${id}/cancel`, {})).json();
    expect(again.status).toBe('cancelled');
  });

  it('refuses to cancel a completed request with 409', async () => {
    const c = await client.chat.completions.create({ model: 'mock-1', messages: user('done already') });
    const res = await post(`${mesh.url}/v1/requests/${c.id}/cancel`, {});
    expect(res.status).toBe(409);
    expect((await res.json()).error.code).toBe('not_cancellable');
  });
});

describe('bad input: OpenAI envelope, no 5xx, no record', () => {
  const cases: [string, string | object, Record<string, string>, number, string][] = [
    ['malformed JSON', '{"model": "mock-1", "messages": [', {}, 400, 'invalid_json'],
    ['an empty body', '', {}, 400, 'invalid_json'],
    ['a JSON array', '[1,2]', {}, 400, 'invalid_request_error'],
    ['missing model', { messages: user('x') }, {}, 400, 'invalid_request_error'],
    ['missing messages', { model: 'mock-1' }, {}, 400, 'invalid_request_error'],
    ['messages of the wrong type', { model: 'mock-1', messages: 'hi' }, {}, 400, 'invalid_request_error'],
    ['a message without a role', { model: 'mock-1', messages: [{ content: 'x' }] }, {}, 400, 'invalid_request_error'],
    ['wait of the wrong type', { model: 'mock-1', messages: user('x'), wait: 'yes' }, {}, 400, 'invalid_request_error'],
    ['a negative wait_timeout', { model: 'mock-1', messages: user('x'), wait_timeout: -1 }, {}, 400, 'invalid_request_error'],
    ['an unknown model', { model: 'gpt-nope', messages: user('x') }, {}, 404, 'model_not_found'],
    ['an unknown window', { model: 'mock-1', messages: user('x'), completion_window: 'someday' }, {}, 400, 'invalid_completion_window'],
    ['a model named like an Object property', { model: 'constructor', messages: user('x') }, {}, 404, 'model_not_found'],
    ['a model named __proto__', { model: '__proto__', messages: user('x'), wait: false }, {}, 404, 'model_not_found'],
    ['a window named like an Object property', { model: 'mock-1', messages: user('x'), completion_window: 'toString', wait: false }, {}, 400, 'invalid_completion_window'],
    ['stream: true with wait: false', { model: 'mock-1', messages: user('x'), stream: true, wait: false }, {}, 400, 'invalid_request_error'],
    ['stream of the wrong type', { model: 'mock-1', messages: user('x'), stream: 'yes' }, {}, 400, 'invalid_request_error'],
    ['a tool turn without its tool_call_id', { model: 'mock-1', messages: [{ role: 'tool', content: 'x' }] }, {}, 400, 'invalid_request_error'],
    ['functions (the older tools)', { model: 'mock-1', messages: user('x'), functions: [{ name: 'f', parameters: {} }] }, {}, 400, 'invalid_request_error'],
    ['a response_format ReqRun cannot honour (refused, never ignored)', { model: 'mock-1', messages: user('x'), response_format: { type: 'grammar' } }, {}, 400, 'invalid_request_error'],
    ['a JSON schema response_format without a name', { model: 'mock-1', messages: user('x'), response_format: { type: 'json_schema', json_schema: { schema: {} } } }, {}, 400, 'invalid_request_error'],
    ['n of 2 (one choice only)', { model: 'mock-1', messages: user('x'), n: 2 }, {}, 400, 'invalid_request_error'],
    ['a body that is not JSON', 'hello', { 'content-type': 'text/plain' }, 415, 'unsupported_media_type'],
    ['a body over the limit', { model: 'mock-1', messages: user('x'.repeat(5 * 1024 * 1024)) }, {}, 413, 'request_too_large'],
  ];
  it.each(cases)('%s', async (_n, body, headers, status, code) => {
    const before = await countRecords(mesh.nats.url);
    const res = await post(chatUrl, body, headers);
    expect(res.status).toBe(status);
    const json = await res.json();
    expect(json.error.code).toBe(code);
    expect(json.error.message).toEqual(expect.any(String));
    expect(schemaErrors('ErrorResponse', json)).toEqual([]);
    expect(await countRecords(mesh.nats.url)).toBe(before);
  });

  it('names the bad field in the message and in param', async () => {
    const err = await client.chat.completions.create({ model: 'mock-1', messages: [{ role: 'user' } as any] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.error).toMatchObject({ param: 'messages[0].content', message: "'messages[0].content' is required" });
  });

  it.each(['rr_nope', 'rr_01ARZ3NDEKTSV4RRFFQ69G5FAV', '../../etc', 'x'.repeat(150)])('an unknown id %s is 404 on read and cancel', async (id) => {
    for (const res of [await get(`${mesh.url}/v1/requests/${encodeURIComponent(id)}`), await post(`${mesh.url}/v1/requests/${encodeURIComponent(id)}/cancel`, {})]) {
      expect(res.status).toBe(404);
      expect((await res.json()).error.code).toBe('not_found');
    }
  });
});

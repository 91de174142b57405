import OpenAI from 'openai';
import { startMesh, type Mesh } from '@reqrun/testing';
import { schemaErrors } from './support/openai-schema.js';
import { countRecords, get, post, readRecord } from './support/records.js';

const config = {
  retry: { max_attempts: 2, base_delay_ms: 20, max_delay_ms: 100 },
  wait: { default_s: 5, max_s: 30, sync_s: 30 },
};
const ID = /^rr_[0-9A-HJKMNP-TV-Z]{26}$/;
const model = 'mock-1';

let mesh: Mesh;
let client: OpenAI;
let url: string;

beforeAll(async () => {
  mesh = await startMesh({ config });
  client = new OpenAI({ baseURL: `${mesh.url}/v1`, apiKey: 'dev', maxRetries: 0 });
  url = `${mesh.url}/v1/responses`;
});
afterAll(() => mesh?.stop());

/** responses.retrieve until `done` says so (or a 15 s deadline, so a bug fails the test instead of hanging it). */
async function retrieveUntil(id: string, done: (r: OpenAI.Responses.Response) => boolean): Promise<OpenAI.Responses.Response> {
  const until = Date.now() + 15_000;
  for (;;) {
    const r = await client.responses.retrieve(id);
    if (done(r)) return r;
    if (Date.now() > until) throw new Error(`response ${id} still ${r.status}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** A failed response conforms to the schema except for its error code: ReqRun's codes are not in OpenAI's enum. */
function failedResponseErrors(r: { error: unknown }): string[] {
  const e = r.error as { code?: unknown; message?: unknown } | null;
  const shape = typeof e?.code === 'string' && typeof e.message === 'string' ? [] : ['/error must have string code and message'];
  return [...shape, ...schemaErrors('Response', { ...r, error: null })];
}

describe('responses through the mesh, with the openai SDK', () => {
  it('responses.create answers synchronously with a response object that matches OpenAI schema', async () => {
    const { data, response } = await client.responses
      .create({ model, input: 'hello', instructions: 'be brief', temperature: 0.3, metadata: { team: 'a' } })
      .withResponse();
    expect(response.status).toBe(200);
    expect(data.id).toMatch(ID);
    expect(response.headers.get('x-request-id')).toBe(data.id);
    expect(data).toMatchObject({
      object: 'response', status: 'completed', model, background: false, instructions: 'be brief', temperature: 0.3,
      metadata: { team: 'a' }, error: null, incomplete_details: null, completed_at: expect.any(Number),
    });
    expect(data.output_text).toBe('Mock reply to: hello');
    expect(data.output).toEqual([expect.objectContaining({ type: 'message', role: 'assistant', status: 'completed' })]);
    expect(data.usage).toMatchObject({ input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } });
    expect(data.usage!.total_tokens).toBe(data.usage!.input_tokens + data.usage!.output_tokens);
    expect(schemaErrors('Response', data)).toEqual([]);
  });

  it('text.format: a JSON schema is honoured (the mock answers in it) and echoed back; JSON mode too', async () => {
    const format = { type: 'json_schema' as const, name: 'answer', strict: true, schema: { type: 'object', properties: { text: { type: 'string' }, n: { type: 'number' } }, required: ['text', 'n'], additionalProperties: false } };
    const data = await client.responses.create({ model, input: 'hello', text: { format } });
    expect(JSON.parse(data.output_text)).toEqual({ text: 'Mock reply to: hello', n: 0 });
    expect(data.text).toEqual({ format });
    expect(schemaErrors('Response', data)).toEqual([]);
    const json = await client.responses.create({ model, input: 'hi', text: { format: { type: 'json_object' } } });
    expect(JSON.parse(json.output_text)).toEqual({ reply: 'Mock reply to: hi' });
  });

  it('a tool loop with the SDK: function_call output items, their outputs sent back as input or through previous_response_id', async () => {
    const tools = [{ type: 'function' as const, name: 'get_weather', strict: true, parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false } }];
    const first = await client.responses.create({ model, input: 'Weather in Paris?', tools });
    expect(first.status).toBe('completed');
    expect(first.output).toEqual([{ id: expect.stringMatching(/^fc_/), type: 'function_call', status: 'completed', call_id: expect.any(String), name: 'get_weather', arguments: JSON.stringify({ city: 'Mock reply to: Weather in Paris?' }) }]);
    expect(first.tools).toEqual(tools);
    expect(schemaErrors('Response', first)).toEqual([]);
    const call = first.output[0] as { call_id: string };
    const second = await client.responses.create({ model, tools, input: [{ role: 'user', content: 'Weather in Paris?' }, ...(first.output as never[]), { type: 'function_call_output', call_id: call.call_id, output: 'sunny' }] });
    expect(second.output_text).toBe('Mock reply to: sunny');
    const chained = await client.responses.create({ model, tools, previous_response_id: first.id, input: [{ type: 'function_call_output', call_id: call.call_id, output: 'rainy' }] });
    expect(chained.output_text).toBe('Mock reply to: rainy');
    expect(schemaErrors('Response', chained)).toEqual([]);
  });

  it('takes images (input_image, by URL or inline): the mock answers the text, the stored input keeps them', async () => {
    const content = [{ type: 'input_text' as const, text: 'What is this?' }, { type: 'input_image' as const, image_url: 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', detail: 'low' as const }];
    const data = await client.responses.create({ model, input: [{ role: 'user', content }] });
    expect(data.output_text).toBe('Mock reply to: What is this?');
    const items = await client.responses.inputItems.list(data.id);
    expect(items.data[0]).toMatchObject({ role: 'user', content });
  });

  it('takes input as an item list: message items, text parts, the developer role', async () => {
    const data = await client.responses.create({
      model,
      input: [
        { role: 'developer', content: 'formal' },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'item ' }, { type: 'input_text', text: 'list' }] },
      ],
    });
    expect(data.output_text).toBe('Mock reply to: item list');
  });

  it('background: true answers 202 at once with a queued response, and retrieve polls it to completed', async () => {
    const { data, response } = await client.responses.create({ model, input: 'later', background: true, metadata: { mock_latency_ms: '300' } }).withResponse();
    expect(response.status).toBe(202);
    expect(response.headers.get('location')).toBe(`/v1/requests/${data.id}`);
    expect(data).toMatchObject({ id: expect.stringMatching(ID), object: 'response', status: 'queued', output: [], background: true, completed_at: null });
    expect(data.output_text).toBe('');
    expect(schemaErrors('Response', data)).toEqual([]);

    const done = await retrieveUntil(data.id, (r) => r.status === 'completed');
    expect(done).toMatchObject({ id: data.id, background: true, metadata: { mock_latency_ms: '300' } });
    expect(done.output_text).toBe('Mock reply to: later');
    expect(schemaErrors('Response', done)).toEqual([]);
    expect(await (await get(`${mesh.url}/v1/requests/${data.id}`)).json()).toMatchObject({ api: 'responses', completion_window: 'standard' });
  });

  it('wait: true past its wait_timeout answers 202 with the response still running, which then completes', async () => {
    const res = await post(url, { model, input: 'slow', wait: true, wait_timeout: 0.3, metadata: { mock_latency_ms: '1500' } });
    expect(res.status).toBe(202);
    const body = await res.json();
    expect(body).toMatchObject({ object: 'response', status: expect.stringMatching(/^(queued|in_progress)$/), background: false, output: [] });
    expect(body).not.toHaveProperty('wait');
    expect(schemaErrors('Response', body)).toEqual([]);
    expect((await retrieveUntil(body.id, (r) => r.status === 'completed')).output_text).toBe('Mock reply to: slow');
  });

  it('the Idempotency-Key re-attaches to the same response; the same key for a different request is 422', async () => {
    const key = `resp-${Date.now()}`;
    const a = await client.responses.create({ model, input: 'once' }, { headers: { 'idempotency-key': key } });
    const b = await client.responses.create({ model, input: 'once' }, { headers: { 'idempotency-key': key } });
    expect(b.id).toBe(a.id);
    const err = await client.responses.create({ model, input: 'twice' }, { headers: { 'idempotency-key': key } }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.UnprocessableEntityError);
    expect(err.error).toMatchObject({ code: 'idempotency_key_reused', param: 'idempotency_key' });
  });

  it('an answer cut by max_output_tokens is incomplete, with the reason', async () => {
    const data = await client.responses.create({ model, input: 'a rather long question, to be cut', max_output_tokens: 2 });
    expect(data).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, max_output_tokens: 2 });
    expect(data.output_text).toBe('Mock rep');
    expect(schemaErrors('Response', data)).toEqual([]);
  });

  it('a failed response: the waiting caller gets the error, and retrieve shows status failed with its code and message', async () => {
    const err = await client.responses.create({ model, input: 'rejected', metadata: { mock_fail: 'terminal' } }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.error).toMatchObject({ code: 'upstream_rejected' });
    const failed = await client.responses.retrieve(err.headers.get('x-request-id'));
    expect(failed).toMatchObject({ status: 'failed', output: [], error: { code: 'upstream_rejected', message: expect.stringContaining('rejected') } });
    expect(failedResponseErrors(failed)).toEqual([]);
  });

  it('a background response whose retries run out is failed with the last error', async () => {
    const created = await client.responses.create({ model, input: 'doomed', background: true, metadata: { mock_fail: 'retryable' } });
    const failed = await retrieveUntil(created.id, (r) => r.status === 'failed');
    expect(failed.error).toEqual({ code: 'upstream_error', message: 'mock failure (retryable) on attempt 2' });
    expect(failedResponseErrors(failed)).toEqual([]);
  });
});

describe('cancel', () => {
  it('cancels a running background response (its provider call is aborted); cancelling again returns the same object', async () => {
    const created = await client.responses.create({ model, input: 'long', background: true, completion_window: 'asap', metadata: { mock_latency_ms: '5000' } } as OpenAI.Responses.ResponseCreateParamsNonStreaming);
    await retrieveUntil(created.id, (r) => r.status === 'in_progress');
    const { data: cancelled, response } = await client.responses.cancel(created.id).withResponse();
    expect(response.headers.get('x-request-id')).toBe(created.id);
    expect(cancelled).toMatchObject({ id: created.id, object: 'response', status: 'cancelled', output: [], background: true });
    expect(schemaErrors('Response', cancelled)).toEqual([]);
    expect(await client.responses.cancel(created.id)).toEqual(cancelled);
    const r = await (await get(`${mesh.url}/v1/requests/${created.id}`)).json();
    expect(r).toMatchObject({ status: 'cancelled', history: [expect.objectContaining({ outcome: 'cancelled' })] });
  });

  it('refuses to cancel a completed response with 409', async () => {
    const done = await client.responses.create({ model, input: 'finished' });
    const err = await client.responses.cancel(done.id).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.ConflictError);
    expect(err.error).toMatchObject({ code: 'not_cancellable' });
  });
});

describe('previous_response_id', () => {
  it('continues a conversation: the stored input is the earlier input, its output, then the new input', async () => {
    const first = await client.responses.create({ model, input: 'first question', instructions: 'be brief' });
    const second = await client.responses.create({ model, input: 'second question', previous_response_id: first.id });
    expect(second).toMatchObject({ status: 'completed', previous_response_id: first.id, instructions: null });
    expect(second.output_text).toBe('Mock reply to: second question');
    expect(second.usage!.input_tokens).toBeGreaterThan(first.usage!.input_tokens);
    expect((await readRecord(mesh.nats.url, second.id)).body.input).toEqual([
      { type: 'message', role: 'user', content: 'first question' },
      first.output[0],
      { type: 'message', role: 'user', content: 'second question' },
    ]);

    const third = await client.responses.create({ model, input: [{ role: 'user', content: 'third' }], previous_response_id: second.id });
    const stored = (await readRecord(mesh.nats.url, third.id)).body.input;
    expect(stored).toHaveLength(5);
    expect(stored.slice(3)).toEqual([second.output[0], { role: 'user', content: 'third' }]);
    expect(third.output_text).toBe('Mock reply to: third');
  });

  it('input_items lists the whole conversation a chained response was given, newest first, page by page (the SDK paginates)', async () => {
    const first = await client.responses.create({ model, input: 'first question' });
    const second = await client.responses.create({ model, input: [{ role: 'user', content: 'second question' }], previous_response_id: first.id });
    const page = await client.responses.inputItems.list(second.id, { limit: 2 });
    expect(page.data.map((i) => (i as { role?: string }).role)).toEqual(['user', 'assistant']);
    expect(page.has_more).toBe(true);
    const all: OpenAI.Responses.ResponseItem[] = [];
    for await (const item of client.responses.inputItems.list(second.id, { limit: 1, order: 'asc' })) all.push(item);
    expect(all).toEqual([
      expect.objectContaining({ type: 'message', role: 'user', status: 'completed', content: [{ type: 'input_text', text: 'first question' }] }),
      expect.objectContaining({ id: first.output[0].id, role: 'assistant', content: [expect.objectContaining({ type: 'output_text', text: 'Mock reply to: first question' })] }),
      expect.objectContaining({ role: 'user', content: [{ type: 'input_text', text: 'second question' }] }),
    ]);
    expect(new Set(all.map((i) => i.id)).size).toBe(3);
    expect((await client.responses.inputItems.list(second.id)).data.map((i) => i.id)).toEqual(all.map((i) => i.id).reverse());
  });

  it('input_items: a bad query is a 400, an unknown or chat id a 404', async () => {
    const r = await client.responses.create({ model, input: 'x' });
    await expect(client.responses.inputItems.list(r.id, { limit: 0 })).rejects.toMatchObject({ status: 400, error: { param: 'limit' } });
    await expect(client.responses.inputItems.list(r.id, { after: 'msg_nope' })).rejects.toMatchObject({ status: 400, error: { param: 'after' } });
    await expect(client.responses.inputItems.list('rr_01ARZ3NDEKTSV4RRFFQ69G5FAV')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const chat = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });
    await expect(client.responses.inputItems.list(chat.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('chaining from a response that has not completed is 409, saying so', async () => {
    const running = await client.responses.create({ model, input: 'not yet', background: true, metadata: { mock_latency_ms: '5000' } });
    const before = await countRecords(mesh.nats.url);
    const err = await client.responses.create({ model, input: 'next', previous_response_id: running.id }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.ConflictError);
    expect(err.error).toMatchObject({ code: 'previous_response_not_completed', param: 'previous_response_id' });
    expect(err.error.message).toMatch(new RegExp(`Response ${running.id} is (queued|in_progress); only a completed response can be continued`));
    expect(await countRecords(mesh.nats.url)).toBe(before);
    await client.responses.cancel(running.id);
  });

  it('chaining from a failed response is 409 too', async () => {
    const failed = await client.responses.create({ model, input: 'x', background: true, metadata: { mock_fail: 'terminal' } });
    await retrieveUntil(failed.id, (r) => r.status === 'failed');
    const err = await client.responses.create({ model, input: 'next', previous_response_id: failed.id }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.ConflictError);
    expect(err.error.message).toMatch(/is failed; only a completed response/);
  });

  it.each([
    ['an unknown id', async () => 'rr_01ARZ3NDEKTSV4RRFFQ69G5FAV', /No response found with id 'rr_01ARZ3NDEKTSV4RRFFQ69G5FAV'/],
    ['a malformed id', async () => 'resp_123', /No response found with id 'resp_123'/],
    ['a chat completion', async () => (await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] })).id, /made through the chat API, not the Responses API; read it at \/v1\/requests\//],
  ])('chaining from %s is 404, and nothing is stored', async (_n, idOf, message) => {
    const id = await idOf();
    const before = await countRecords(mesh.nats.url);
    const err = await client.responses.create({ model, input: 'next', previous_response_id: id }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err.error).toMatchObject({ code: 'not_found', param: 'previous_response_id', message: expect.stringMatching(message) });
    expect(await countRecords(mesh.nats.url)).toBe(before);
  });
});

describe('retrieve and delete', () => {
  it('responses.delete removes the response: it is then unknown to every endpoint', async () => {
    const r = await client.responses.create({ model, input: 'delete me' });
    const before = await countRecords(mesh.nats.url);
    await client.responses.delete(r.id);
    expect(await countRecords(mesh.nats.url)).toBe(before - 1);
    await expect(client.responses.retrieve(r.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(client.responses.delete(r.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    expect((await get(`${mesh.url}/v1/requests/${r.id}`)).status).toBe(404);
  });

  it('DELETE answers the deletion object; deleting a running response cancels it first', async () => {
    const running = await client.responses.create({ model, input: 'long', background: true, completion_window: 'asap', metadata: { mock_latency_ms: '5000' } } as OpenAI.Responses.ResponseCreateParamsNonStreaming);
    await retrieveUntil(running.id, (r) => r.status === 'in_progress');
    const res = await fetch(`${url}/${running.id}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: running.id, object: 'response', deleted: true });
  });

  it.each([
    ['an unknown id', async () => 'rr_01ARZ3NDEKTSV4RRFFQ69G5FAV', /No response found/],
    ['a chat completion', async () => (await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] })).id, /made through the chat API/],
  ])('%s is 404 on retrieve, cancel and delete', async (_n, idOf, message) => {
    const id = await idOf();
    for (const call of [() => client.responses.retrieve(id), () => client.responses.cancel(id), () => client.responses.delete(id)]) {
      const err = await call().catch((e) => e);
      expect(err).toBeInstanceOf(OpenAI.NotFoundError);
      expect(err.error).toMatchObject({ code: 'not_found', message: expect.stringMatching(message) });
    }
  });

  it.each([
    ['stream=maybe', 'stream'],
    ['stream=true&starting_after=-1', 'starting_after'],
    ['stream=true&starting_after=x', 'starting_after'],
  ])('GET ?%s is a 400 naming the parameter', async (query, param) => {
    const r = await client.responses.create({ model, input: 'x' });
    const res = await get(`${url}/${r.id}?${query}`);
    expect(res.status).toBe(400);
    const json = await res.json();
    expect(json.error).toMatchObject({ param, code: 'invalid_request_error' });
    expect(schemaErrors('ErrorResponse', json)).toEqual([]);
  });
});

describe('models', () => {
  it('models.list and models.retrieve in OpenAI shape; an unknown model is 404', async () => {
    const page = await client.models.list();
    expect(page.data).toEqual([{ id: 'mock-1', object: 'model', created: 0, owned_by: 'mock' }]);
    expect(schemaErrors('ListModelsResponse', await (await get(`${mesh.url}/v1/models`)).json())).toEqual([]);
    const m = await client.models.retrieve('mock-1');
    expect(schemaErrors('Model', m)).toEqual([]);
    const err = await client.models.retrieve('gpt-nope').catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err.error).toMatchObject({ code: 'model_not_found' });
  });
});

describe('bad input: OpenAI envelope, no 5xx, no record', () => {
  const input = 'x';
  const cases: [string, string | object, Record<string, string>, number, string, string | null][] = [
    ['malformed JSON', '{"model": "mock-1", "input": ', {}, 400, 'invalid_json', null],
    ['an empty body', '', {}, 400, 'invalid_json', null],
    ['a JSON array', '[1,2]', {}, 400, 'invalid_request_error', null],
    ['missing model', { input }, {}, 400, 'invalid_request_error', 'model'],
    ['missing input', { model }, {}, 400, 'invalid_request_error', 'input'],
    ['input of the wrong type', { model, input: 5 }, {}, 400, 'invalid_request_error', 'input'],
    ['an empty input list', { model, input: [] }, {}, 400, 'invalid_request_error', 'input'],
    ['an item of a type ReqRun cannot translate', { model, input: [{ type: 'web_search_call', id: 'ws_1' }] }, {}, 400, 'invalid_request_error', 'input'],
    ['a function_call_output without its call_id', { model, input: [{ type: 'function_call_output', output: '{}' }] }, {}, 400, 'invalid_request_error', 'input'],
    ['an image by file id', { model, input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file_1' }] }] }, {}, 400, 'invalid_request_error', 'input'],
    ['a file part', { model, input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'file_1' }] }] }, {}, 400, 'invalid_request_error', 'input'],
    ['an item without a role', { model, input: [{ content: 'x' }] }, {}, 400, 'invalid_request_error', 'input'],
    ['a built-in tool', { model, input, tools: [{ type: 'web_search_preview' }] }, {}, 400, 'invalid_request_error', 'tools[0].type'],
    ['a text.format ReqRun cannot honour (would be echoed back as if honoured: refused)', { model, input, text: { format: { type: 'grammar' } } }, {}, 400, 'invalid_request_error', 'text'],
    ['instructions of the wrong type', { model, input, instructions: 5 }, {}, 400, 'invalid_request_error', 'instructions'],
    ['metadata with a number value', { model, input, metadata: { n: 1 } }, {}, 400, 'invalid_request_error', 'metadata'],
    ['background of the wrong type', { model, input, background: 'yes' }, {}, 400, 'invalid_request_error', 'background'],
    ['max_output_tokens of 0', { model, input, max_output_tokens: 0 }, {}, 400, 'invalid_request_error', 'max_output_tokens'],
    ['temperature out of range', { model, input, temperature: 3 }, {}, 400, 'invalid_request_error', 'temperature'],
    ['wait of the wrong type', { model, input, wait: 'yes' }, {}, 400, 'invalid_request_error', 'wait'],
    ['an unknown model', { model: 'gpt-nope', input }, {}, 404, 'model_not_found', 'model'],
    ['an unknown window', { model, input, completion_window: 'someday' }, {}, 400, 'invalid_completion_window', 'completion_window'],
    ['stream: true with wait: false', { model, input, stream: true, background: true, wait: false }, {}, 400, 'invalid_request_error', 'stream'],
    ['an unknown previous_response_id', { model, input, previous_response_id: 'rr_01ARZ3NDEKTSV4RRFFQ69G5FAV' }, {}, 404, 'not_found', 'previous_response_id'],
    ['a body that is not JSON', 'hello', { 'content-type': 'text/plain' }, 415, 'unsupported_media_type', null],
    ['a body over the limit', { model, input: 'x'.repeat(5 * 1024 * 1024) }, {}, 413, 'request_too_large', null],
  ];
  it.each(cases)('%s', async (_n, body, headers, status, code, param) => {
    const before = await countRecords(mesh.nats.url);
    const res = await post(url, body, headers);
    expect(res.status).toBe(status);
    const json = await res.json();
    expect(json.error).toMatchObject({ code, param, message: expect.any(String) });
    expect(schemaErrors('ErrorResponse', json)).toEqual([]);
    expect(await countRecords(mesh.nats.url)).toBe(before);
  });

  it('says which item and part is wrong', async () => {
    const err = await client.responses.create({ model, input: [{ role: 'user', content: 'ok' }, { role: 'user', content: [{ type: 'input_file', file_id: 'f' }] }] } as OpenAI.Responses.ResponseCreateParamsNonStreaming).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.error.message).toBe("'input': item 1 content: part 0 has type 'input_file', which ReqRun cannot translate yet (send input_text or output_text or input_image parts)");
  });
});

import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { answer, dropConnection, failWith, metricValue, slow, startFakeUpstream, startMesh, type FakeUpstream, type Mesh } from '@reqrun/testing';
import { anthropicStreamEventErrors } from './support/anthropic-shapes.js';
import { get, pollRequest, post, rawValues } from './support/records.js';
import { until as waitUntil } from './support/within.js';

/**
 * Real provider adapters through the running mesh, against fake upstreams (in this process, real HTTP) that speak
 * the OpenAI and Anthropic wire formats: translation both ways, retry-after, fallbacks, terminal errors, the
 * circuit breaker, and the API key kept out of records, errors and logs.
 */
const KEY = 'sk-reqrun-e2e-secret-4f1d9c2b7a';
let openai: FakeUpstream; // oai, and slowp (same server, short timeout)
let anthropic: FakeUpstream; // claude
let flaky: FakeUpstream; // primary of with-fallback
let brk: FakeUpstream; // primary of breaker-model
let backup: FakeUpstream; // fallback of breaker-model
let mesh: Mesh;
let client: OpenAI;
let claudeClient: Anthropic;
const logs: string[] = [];
let n = 0;
const marker = () => `m${++n}-${Date.now()}`;
const view = async (id: string) => (await get(`${mesh.url}/v1/requests/${id}`)).json();
/** What every scheduler replica's breaker view says: 1 = paused. */
const paused = async (provider: string) =>
  Promise.all(mesh.apps.filter((a) => a.app === 'scheduler').map((s) => metricValue(`${s.url}/metrics`, 'reqrun_provider_paused', { provider })));
const until = (what: string, ok: () => Promise<boolean> | boolean, timeoutMs = 10_000) => waitUntil(what, ok, timeoutMs, 50);

beforeAll(async () => {
  [openai, anthropic, flaky, brk, backup] = await Promise.all([
    startFakeUpstream({ kind: 'openai', apiKey: KEY }),
    startFakeUpstream({ kind: 'anthropic', apiKey: KEY }),
    startFakeUpstream({ kind: 'openai', apiKey: KEY }),
    startFakeUpstream({ kind: 'openai' }),
    startFakeUpstream({ kind: 'anthropic' }),
  ]);
  const key = { api_key_env: 'RR_E2E_PROVIDER_KEY' };
  mesh = await startMesh({
    apps: { scheduler: 2 }, // the breaker is shared state: both replicas must route around an open one
    env: { RR_E2E_PROVIDER_KEY: KEY, REQRUN_LOG_LEVEL: 'debug' },
    onLine: (_app, line) => logs.push(line),
    config: {
      retry: { max_attempts: 3, base_delay_ms: 20, max_delay_ms: 5000 },
      breaker: { failures: 3, cooldown_ms: 6000 }, // long enough for four requests while open on a loaded machine
      wait: { default_s: 10, max_s: 30, sync_s: 30 },
      providers: [
        { name: 'oai', type: 'openai', base_url: openai.url, ...key, timeout_ms: 10_000 },
        { name: 'slowp', type: 'openai', base_url: openai.url, ...key, timeout_ms: 300 },
        { name: 'oai-resp', type: 'openai', base_url: openai.url, ...key, responses_api: true },
        { name: 'claude', type: 'anthropic', base_url: anthropic.url, ...key },
        { name: 'flaky', type: 'openai', base_url: flaky.url, ...key },
        { name: 'brk', type: 'openai', base_url: brk.url },
        { name: 'backup', type: 'anthropic', base_url: backup.url },
      ],
      models: {
        'gpt-fake': { targets: [{ provider: 'oai', model: 'gpt-up' }] },
        'slow-fake': { targets: [{ provider: 'slowp', model: 'gpt-up' }] },
        'gpt-resp': { targets: [{ provider: 'oai-resp', model: 'gpt-up' }] },
        'claude-fake': { targets: [{ provider: 'claude', model: 'claude-up' }] },
        'with-fallback': { targets: [{ provider: 'flaky', model: 'flaky-up' }, { provider: 'claude', model: 'claude-up', fallback: true }] },
        'breaker-model': { targets: [{ provider: 'brk', model: 'brk-up' }, { provider: 'backup', model: 'backup-up', fallback: true }] },
      },
    },
  });
  client = new OpenAI({ baseURL: `${mesh.url}/v1`, apiKey: 'dev', maxRetries: 0 });
  claudeClient = new Anthropic({ baseURL: mesh.url, apiKey: 'dev', maxRetries: 0 });
}, 60_000);
afterAll(async () => {
  await mesh?.stop();
  await Promise.all([openai, anthropic, flaky, brk, backup].map((f) => f?.close()));
});

describe('translation both ways', () => {
  it('chat through an openai-type provider: the provider model name, a bearer key, the answer under the public name', async () => {
    const m = marker();
    const c = await client.chat.completions.create({
      model: 'gpt-fake', max_tokens: 20, temperature: 0.5, stop: ['END'],
      messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: `hello ${m}` }],
    });
    expect(c).toMatchObject({ object: 'chat.completion', model: 'gpt-fake', choices: [{ message: { role: 'assistant', content: `Fake openai reply to: hello ${m}` }, finish_reason: 'stop' }] });
    const [call] = openai.callsWith(m);
    expect(call.path).toBe('/v1/chat/completions');
    expect(call.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(call.body).toEqual({
      model: 'gpt-up', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: `hello ${m}` }], max_completion_tokens: 20, temperature: 0.5, stop: ['END'],
    });
    const r = await view(c.id);
    expect(r.history).toEqual([expect.objectContaining({ provider: 'oai', model: 'gpt-up', outcome: 'completed', status_code: 200, latency_ms: expect.any(Number), error_class: null })]);
    expect(r.usage).toEqual({ input_tokens: c.usage!.prompt_tokens, output_tokens: c.usage!.completion_tokens, total_tokens: c.usage!.total_tokens });
  });

  it('chat through an anthropic-type provider: system on top, stop sequences, Anthropic headers; stop reason and usage mapped back', async () => {
    const m = marker();
    anthropic.plan(m, answer({ text: 'Bonjour', finish: 'stop_sequence', stopSequence: 'END' }), answer({ text: 'cut sh', finish: 'length' }));
    const body = { model: 'claude-fake', max_tokens: 30, stop: ['END'], messages: [{ role: 'system' as const, content: 'answer in French' }, { role: 'user' as const, content: `hi ${m}` }] };
    const c = await client.chat.completions.create(body);
    expect(c).toMatchObject({ model: 'claude-fake', choices: [{ message: { content: 'Bonjour' }, finish_reason: 'stop' }] });
    const [call] = anthropic.callsWith(m);
    expect(call.path).toBe('/v1/messages');
    expect(call.headers).toMatchObject({ 'x-api-key': KEY, 'anthropic-version': '2023-06-01' });
    expect(call.body).toEqual({ model: 'claude-up', max_tokens: 30, system: 'answer in French', messages: [{ role: 'user', content: `hi ${m}` }], stop_sequences: ['END'] });
    expect(c.usage!.prompt_tokens).toBeGreaterThan(0);
    const cut = await client.chat.completions.create(body);
    expect(cut.choices[0]).toMatchObject({ message: { content: 'cut sh' }, finish_reason: 'length' });
    expect((await view(c.id)).history[0]).toMatchObject({ provider: 'claude', model: 'claude-up', status_code: 200 });
  });
});

describe('tool calls', () => {
  const tools = [{ type: 'function' as const, function: { name: 'lookup', description: 'd', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }];

  it('reach an openai-type provider as sent (tools, tool_choice, the loop), and its calls come back', async () => {
    const m = marker();
    openai.plan(m, answer({ toolCalls: [{ id: 'call_up1', name: 'lookup', arguments: '{"q":"x"}' }] }));
    const first = await client.chat.completions.create({ model: 'gpt-fake', messages: [{ role: 'user', content: `find ${m}` }], tools, tool_choice: 'required', parallel_tool_calls: false });
    expect(openai.callsWith(m)[0].body).toMatchObject({ model: 'gpt-up', tools, tool_choice: 'required', parallel_tool_calls: false });
    expect(first.choices[0]).toMatchObject({ finish_reason: 'tool_calls', message: { content: null, tool_calls: [{ id: 'call_up1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }] } });
    const messages = [{ role: 'user' as const, content: `find ${m}` }, first.choices[0].message, { role: 'tool' as const, tool_call_id: 'call_up1', content: `found ${m}` }];
    await client.chat.completions.create({ model: 'gpt-fake', messages, tools });
    expect(openai.callsWith(`found ${m}`)[0].body.messages).toEqual([
      { role: 'user', content: `find ${m}` },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_up1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }] },
      { role: 'tool', content: `found ${m}`, tool_call_id: 'call_up1' },
    ]);
  });

  it('reach an anthropic-type provider translated (tools with input_schema, tool_choice, tool_use and tool_result blocks), and its tool_use comes back as tool_calls', async () => {
    const m = marker();
    anthropic.plan(m, answer({ toolCalls: [{ id: 'toolu_up1', name: 'lookup', arguments: '{"q":"x"}' }] }), answer({ text: 'x it is' }));
    const first = await client.chat.completions.create({ model: 'claude-fake', messages: [{ role: 'user', content: `find ${m}` }], tools, tool_choice: 'required', parallel_tool_calls: false });
    expect(anthropic.callsWith(m)[0].body).toEqual({
      model: 'claude-up', max_tokens: 4096, messages: [{ role: 'user', content: `find ${m}` }],
      tools: [{ name: 'lookup', description: 'd', input_schema: tools[0].function.parameters }],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
    });
    expect(first.choices[0]).toMatchObject({ finish_reason: 'tool_calls', message: { content: null, tool_calls: [{ id: 'toolu_up1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }] } });

    const messages = [{ role: 'user' as const, content: `find ${m}` }, first.choices[0].message, { role: 'tool' as const, tool_call_id: 'toolu_up1', content: `found ${m}` }, { role: 'user' as const, content: 'so?' }];
    const second = await client.chat.completions.create({ model: 'claude-fake', messages, tools });
    expect(anthropic.callsWith(`found ${m}`)[0].body.messages).toEqual([
      { role: 'user', content: `find ${m}` },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_up1', name: 'lookup', input: { q: 'x' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_up1', content: `found ${m}` }, { type: 'text', text: 'so?' }] },
    ]);
    expect(second.choices[0]).toMatchObject({ finish_reason: 'stop', message: { content: 'x it is' } });
  });

  it('a model with an Anthropic fallback takes tools: the fallback gets them translated', async () => {
    const m = marker();
    flaky.plan(m, failWith(500));
    anthropic.plan(m, answer({ toolCalls: [{ id: 'toolu_up2', name: 'lookup', arguments: '{}' }] }));
    const c = await client.chat.completions.create({ model: 'with-fallback', messages: [{ role: 'user', content: `find ${m}` }], tools });
    expect(flaky.callsWith(m)[0].body).toMatchObject({ tools });
    expect(anthropic.callsWith(m)[0].body).toMatchObject({ tools: [{ name: 'lookup', input_schema: tools[0].function.parameters }] });
    expect(c.choices[0]).toMatchObject({ finish_reason: 'tool_calls', message: { tool_calls: [{ id: 'toolu_up2', function: { name: 'lookup', arguments: '{}' } }] } });
  });

  it('reach an openai-type provider from the Messages API (Anthropic SDK) as chat tools, and its tool_calls come back as tool_use blocks', async () => {
    const m = marker();
    const claudeTools = [{ name: 'lookup', description: 'd', input_schema: { type: 'object' as const, properties: { q: { type: 'string' } } } }];
    openai.plan(m, answer({ toolCalls: [{ id: 'call_up3', name: 'lookup', arguments: '{"q":"y"}' }] }));
    const first = await claudeClient.messages.create({
      model: 'gpt-fake', max_tokens: 50, messages: [{ role: 'user', content: `find ${m}` }], tools: claudeTools, tool_choice: { type: 'tool', name: 'lookup', disable_parallel_tool_use: true },
    });
    expect(openai.callsWith(m)[0].body).toEqual({
      model: 'gpt-up', max_completion_tokens: 50, messages: [{ role: 'user', content: `find ${m}` }],
      tools: [{ type: 'function', function: { name: 'lookup', description: 'd', parameters: claudeTools[0].input_schema } }],
      tool_choice: { type: 'function', function: { name: 'lookup' } }, parallel_tool_calls: false,
    });
    expect(first).toMatchObject({ stop_reason: 'tool_use', content: [{ type: 'tool_use', id: 'call_up3', name: 'lookup', input: { q: 'y' } }] });

    const second = await claudeClient.messages.create({
      model: 'gpt-fake', max_tokens: 50, tools: claudeTools,
      messages: [{ role: 'user', content: `find ${m}` }, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_up3', content: `found ${m}` }] }],
    });
    expect(openai.callsWith(`found ${m}`)[0].body.messages).toEqual([
      { role: 'user', content: `find ${m}` },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_up3', type: 'function', function: { name: 'lookup', arguments: '{"q":"y"}' } }] },
      { role: 'tool', content: `found ${m}`, tool_call_id: 'call_up3' },
    ]);
    expect(second).toMatchObject({ stop_reason: 'end_turn', content: [{ type: 'text', text: expect.any(String) }] });
  });

  it("messages.countTokens with tools: the provider's count is asked with the tools", async () => {
    const m = marker();
    const claudeTools = [{ name: 'lookup', input_schema: { type: 'object' as const } }];
    await claudeClient.messages.countTokens({ model: 'claude-fake', messages: [{ role: 'user', content: `count ${m}` }], tools: claudeTools, tool_choice: { type: 'auto' } });
    expect(anthropic.callsWith(m)[0]).toMatchObject({
      path: '/v1/messages/count_tokens',
      body: { model: 'claude-up', messages: [{ role: 'user', content: `count ${m}` }], tools: claudeTools, tool_choice: { type: 'auto' } },
    });
  });
});

describe('JSON answer formats', () => {
  const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: false };

  it('chat: response_format reaches an openai-type provider as sent', async () => {
    const m = marker();
    const response_format = { type: 'json_schema' as const, json_schema: { name: 'out', description: 'd', schema, strict: true } };
    await client.chat.completions.create({ model: 'gpt-fake', messages: [{ role: 'user', content: `json ${m}` }], response_format });
    expect(openai.callsWith(m)[0].body).toMatchObject({ response_format });
    const m2 = marker();
    await client.chat.completions.create({ model: 'gpt-fake', messages: [{ role: 'user', content: `json ${m2}` }], response_format: { type: 'json_object' } });
    expect(openai.callsWith(m2)[0].body).toMatchObject({ response_format: { type: 'json_object' } });
  });

  it("responses: text.format reaches a provider in its own API's shape (Responses, or translated to chat) and is echoed back", async () => {
    const format = { type: 'json_schema' as const, name: 'out', schema, strict: true };
    const m = marker();
    const native = await client.responses.create({ model: 'gpt-resp', input: `json ${m}`, text: { format } });
    expect(openai.callsWith(m)[0]).toMatchObject({ path: '/v1/responses', body: { text: { format } } });
    expect(native.text).toEqual({ format });
    const m2 = marker();
    const translated = await client.responses.create({ model: 'gpt-fake', input: `json ${m2}`, text: { format } });
    expect(openai.callsWith(m2)[0]).toMatchObject({ path: '/v1/chat/completions', body: { response_format: { type: 'json_schema', json_schema: { name: 'out', schema, strict: true } } } });
    expect(translated.text).toEqual({ format });
  });

  it('a model that an Anthropic provider may answer (a fallback included) refuses a JSON format with a 400, calling nobody', async () => {
    const before = anthropic.calls.length + flaky.calls.length;
    for (const model of ['claude-fake', 'with-fallback']) {
      const chat = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'json' }], response_format: { type: 'json_object' } }).catch((e) => e);
      expect(chat).toBeInstanceOf(OpenAI.BadRequestError);
      expect(chat.error).toMatchObject({ param: 'response_format', type: 'invalid_request_error' });
      expect(chat.error.message).toContain("Anthropic provider 'claude'");
      const resp = await client.responses.create({ model, input: 'json', text: { format: { type: 'json_schema', name: 'x', schema } } }).catch((e) => e);
      expect(resp).toBeInstanceOf(OpenAI.BadRequestError);
      expect(resp.error).toMatchObject({ param: 'text.format' });
    }
    expect(anthropic.calls.length + flaky.calls.length).toBe(before);
  });
});

describe("Anthropic's options and extended thinking (Messages API, Anthropic SDK)", () => {
  const thought = { type: 'thinking' as const, thinking: 'The user wants the weather: call the tool.', signature: 'EqQBCkgIARABGAIiQL2x' };
  const redacted = { type: 'redacted_thinking' as const, data: 'EmwKAhgBEgy3va3pzix/LafPsn4a' };
  const lookup: Anthropic.Tool = { name: 'lookup', input_schema: { type: 'object', properties: { q: { type: 'string' } } } };
  const thinking = { type: 'enabled' as const, budget_tokens: 2048 };
  /** `top_k` as sent on the wire: the SDK's types (1.12) no longer list Anthropic's sampling parameters. */
  const topK = (p: Anthropic.MessageCreateParamsNonStreaming, top_k: number) => ({ ...p, top_k }) as Anthropic.MessageCreateParamsNonStreaming;

  it('top_k, thinking and is_error reach an anthropic-type provider as sent; its thinking blocks come back, and go back unchanged in the tool loop', async () => {
    const m = marker();
    anthropic.plan(m, answer({ thinking: [thought, redacted], toolCalls: [{ id: 'toolu_t1', name: 'lookup', arguments: '{"q":"x"}' }] }), answer({ text: 'Could not look it up.', thinking: [{ ...thought, signature: 'sig-2' }] }));
    const question = { role: 'user' as const, content: `weather ${m}` };
    const first = await claudeClient.messages.create(topK({ model: 'claude-fake', max_tokens: 4000, thinking, tools: [lookup], messages: [question] }, 5));
    expect(anthropic.callsWith(m)[0].body).toEqual({ model: 'claude-up', max_tokens: 4000, top_k: 5, thinking, tools: [lookup], messages: [question] });
    expect(first).toMatchObject({ stop_reason: 'tool_use', content: [thought, redacted, { type: 'tool_use', id: 'toolu_t1', name: 'lookup', input: { q: 'x' } }] });

    const turns: Anthropic.MessageParam[] = [
      question,
      { role: 'assistant', content: first.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_t1', content: 'service down', is_error: true }] },
    ];
    const second = await claudeClient.messages.create(topK({ model: 'claude-fake', max_tokens: 4000, thinking, tools: [lookup], messages: turns }, 5));
    expect(anthropic.callsWith(m)[1].body).toEqual({ model: 'claude-up', max_tokens: 4000, top_k: 5, thinking, tools: [lookup], messages: turns });
    expect(second).toMatchObject({ stop_reason: 'end_turn', content: [{ ...thought, signature: 'sig-2' }, { type: 'text', text: 'Could not look it up.' }] });
    const stored = await view(second.id);
    expect(stored.result.content).toEqual(second.content);
  });

  it('stream: true with thinking: the provider streams its thinking and the client gets it piece by piece before the text; finalMessage is the unstreamed message', async () => {
    const m = marker();
    const step = answer({ text: 'Sunny all week.', thinking: [thought, redacted] });
    anthropic.plan(m, step, step);
    const request = { model: 'claude-fake', max_tokens: 4000, thinking, messages: [{ role: 'user' as const, content: `forecast ${m}` }] };
    const stream = claudeClient.messages.stream(request);
    const order: string[] = [];
    const events: { type: string }[] = [];
    stream.on('thinking', () => order.push('thinking')).on('text', () => order.push('text')).on('streamEvent', (e) => events.push(e));
    const final = await stream.finalMessage();
    const plain = await claudeClient.messages.create(request);
    const { parsed_output: _parsed, ...message } = final as typeof final & { parsed_output?: unknown }; // the SDK's own addition
    expect({ ...message, id: 'same' }).toEqual({ ...plain, id: 'same' });
    expect(final).toMatchObject({ model: 'claude-fake', stop_reason: 'end_turn', content: [thought, redacted, { type: 'text', text: 'Sunny all week.' }] });
    const thoughts = order.filter((o) => o === 'thinking').length;
    expect(thoughts).toBeGreaterThanOrEqual(2);
    expect(order.slice(0, thoughts)).toEqual(Array(thoughts).fill('thinking'));
    for (const e of events) expect(anthropicStreamEventErrors({ event: e.type, data: e })).toEqual([]);
    const [call] = anthropic.callsWith(m);
    expect(call.body).toEqual({ ...request, model: 'claude-up', stream: true });
  });

  it('a model that an OpenAI-compatible provider may answer (a fallback included) refuses thinking with a 400 naming it, calling nobody; top_k and disabled thinking are left out there', async () => {
    const before = openai.calls.length + flaky.calls.length + anthropic.calls.length;
    for (const model of ['gpt-fake', 'with-fallback']) {
      const err = await claudeClient.messages.create({ model, max_tokens: 4000, thinking, messages: [{ role: 'user', content: 'think' }] }).catch((e) => e);
      expect(err).toBeInstanceOf(Anthropic.BadRequestError);
      expect(err.error.error).toMatchObject({ type: 'invalid_request_error', message: expect.stringContaining('Leave thinking out') });
    }
    expect(openai.calls.length + flaky.calls.length + anthropic.calls.length).toBe(before);
    const m = marker();
    await claudeClient.messages.create(topK({ model: 'gpt-fake', max_tokens: 40, thinking: { type: 'disabled' }, messages: [{ role: 'user', content: `q ${m}` }] }, 3));
    const [call] = openai.callsWith(m);
    expect(call.body).not.toHaveProperty('top_k');
    expect(call.body).not.toHaveProperty('thinking');
  });
});

describe('every API to every provider type', () => {
  it('Messages API (Anthropic SDK) through an openai-type provider: translated to chat and back', async () => {
    const m = marker();
    openai.plan(m, answer({ text: 'done', finish: 'length' }));
    const msg = await claudeClient.messages.create({ model: 'gpt-fake', max_tokens: 40, system: 'be brief', stop_sequences: ['STOP'], messages: [{ role: 'user', content: `q ${m}` }] });
    expect(msg).toMatchObject({ type: 'message', model: 'gpt-fake', content: [{ type: 'text', text: 'done' }], stop_reason: 'max_tokens', usage: { input_tokens: expect.any(Number), output_tokens: expect.any(Number) } });
    expect(openai.callsWith(m)[0]).toMatchObject({
      path: '/v1/chat/completions',
      body: { model: 'gpt-up', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: `q ${m}` }], max_completion_tokens: 40, stop: ['STOP'] },
    });
  });

  it("a provider's terminal 400 reaches a Messages caller in Anthropic's envelope, with the provider's message", async () => {
    const m = marker();
    openai.plan(m, failWith(400, { message: 'context too long' }));
    const err = await claudeClient.messages.create({ model: 'gpt-fake', max_tokens: 40, messages: [{ role: 'user', content: m }] }).catch((e) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect(err.error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: 'context too long' } });
  });

  it('Messages API through an anthropic-type provider', async () => {
    const m = marker();
    const msg = await claudeClient.messages.create({ model: 'claude-fake', max_tokens: 40, system: 'be brief', messages: [{ role: 'user', content: `q ${m}` }] });
    expect(msg).toMatchObject({ type: 'message', model: 'claude-fake', content: [{ type: 'text', text: `Fake anthropic reply to: q ${m}` }], stop_reason: 'end_turn' });
    expect(anthropic.callsWith(m)[0].body).toEqual({ model: 'claude-up', max_tokens: 40, system: 'be brief', messages: [{ role: 'user', content: `q ${m}` }] });
  });

  it("messages.countTokens: the provider's own count, asked with its key and the prompt only", async () => {
    const m = marker();
    const counted = await claudeClient.messages.countTokens({ model: 'claude-fake', system: 'be brief', messages: [{ role: 'user', content: `count ${m}` }] });
    const [call] = anthropic.callsWith(m);
    expect(call).toMatchObject({ path: '/v1/messages/count_tokens', headers: { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' } });
    // Anthropic refuses max_tokens, sampling and stop sequences here (the fake too): only the prompt goes
    expect(call.body).toEqual({ model: 'claude-up', system: 'be brief', messages: [{ role: 'user', content: `count ${m}` }] });
    expect(counted).toEqual({ input_tokens: Math.ceil(`be briefcount ${m}`.length / 4) });
  });

  it("countTokens: a provider's 429 comes back as a 429 with its retry-after; a model no provider can count for is a 400", async () => {
    const m = marker();
    anthropic.plan(m, failWith(429, { retryAfter: '7', message: 'slow down' }));
    const limited = await claudeClient.messages.countTokens({ model: 'claude-fake', messages: [{ role: 'user', content: m }] }).catch((e) => e);
    expect(limited).toBeInstanceOf(Anthropic.RateLimitError);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(limited.error).toMatchObject({ type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } });
    const openaiOnly = await claudeClient.messages.countTokens({ model: 'gpt-fake', messages: [{ role: 'user', content: m }] }).catch((e) => e);
    expect(openaiOnly).toBeInstanceOf(Anthropic.BadRequestError);
    expect(openaiOnly.error.error.message).toMatch(/Tokens cannot be counted for the model 'gpt-fake'/);
  });

  it("Responses API to the provider's /responses when responses_api is set, else translated to chat", async () => {
    const m = marker();
    const native = await client.responses.create({ model: 'gpt-resp', instructions: 'be brief', input: `r ${m}`, max_output_tokens: 30 });
    expect(native).toMatchObject({ object: 'response', status: 'completed', model: 'gpt-resp' });
    expect(native.output_text).toBe(`Fake openai-responses reply to: r ${m}`);
    expect(openai.callsWith(m)[0]).toMatchObject({ path: '/v1/responses', body: { model: 'gpt-up', instructions: 'be brief', max_output_tokens: 30 } });

    const m2 = marker();
    const viaChat = await client.responses.create({ model: 'gpt-fake', instructions: 'be brief', input: `r ${m2}` });
    expect(viaChat.output_text).toBe(`Fake openai reply to: r ${m2}`);
    expect(openai.callsWith(m2)[0]).toMatchObject({ path: '/v1/chat/completions', body: { messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: `r ${m2}` }] } });
  });

  it('Responses API through an anthropic-type provider: instructions become system', async () => {
    const m = marker();
    const r = await client.responses.create({ model: 'claude-fake', instructions: 'be brief', input: `r ${m}`, max_output_tokens: 25 });
    expect(r.output_text).toBe(`Fake anthropic reply to: r ${m}`);
    expect(anthropic.callsWith(m)[0].body).toEqual({ model: 'claude-up', max_tokens: 25, system: 'be brief', messages: [{ role: 'user', content: `r ${m}` }] });
  });
});

describe('retries that honour the provider', () => {
  it("waits at least a 429's retry-after before calling again", async () => {
    const m = marker();
    openai.plan(m, failWith(429, { retryAfter: '1' }));
    const c = await client.chat.completions.create({ model: 'gpt-fake', messages: [{ role: 'user', content: m }] });
    const calls = openai.callsWith(m);
    expect(calls.map((x) => x.answered)).toEqual([429, 200]);
    expect(calls[1].at - calls[0].at).toBeGreaterThanOrEqual(1000);
    const r = await view(c.id);
    expect(r.history).toEqual([
      expect.objectContaining({ provider: 'oai', outcome: 'failed', status_code: 429, retry_after_ms: 1000, error_class: 'upstream_rate_limited' }),
      expect.objectContaining({ provider: 'oai', outcome: 'completed', status_code: 200 }),
    ]);
  });

  it('retries a dropped connection and a timed-out call (the call is aborted), recording each', async () => {
    const m = marker();
    openai.plan(m, dropConnection(), slow(3000));
    const c = await client.chat.completions.create({ model: 'slow-fake', messages: [{ role: 'user', content: m }] });
    const r = await view(c.id);
    expect(r.history.map((h: any) => [h.outcome, h.error_class, h.status_code])).toEqual([
      ['failed', 'upstream_unreachable', null], ['failed', 'upstream_timeout', null], ['completed', null, 200],
    ]);
    await until('the fake to see the timed-out call aborted', () => openai.callsWith(m)[1].aborted);
  });

  it('falls back to the second target after the first fails', async () => {
    const m = marker();
    flaky.plan(m, failWith(500, { message: 'upstream exploded' }));
    const c = await client.chat.completions.create({ model: 'with-fallback', messages: [{ role: 'user', content: m }] });
    expect(c.choices[0].message.content).toBe(`Fake anthropic reply to: ${m}`);
    expect(flaky.callsWith(m)).toHaveLength(1);
    expect(anthropic.callsWith(m)).toHaveLength(1);
    const r = await view(c.id);
    expect(r.history).toEqual([
      expect.objectContaining({ provider: 'flaky', model: 'flaky-up', outcome: 'failed', status_code: 500, error_class: 'upstream_error', error: { code: 'upstream_error', message: 'upstream exploded' } }),
      expect.objectContaining({ provider: 'claude', model: 'claude-up', outcome: 'completed', status_code: 200 }),
    ]);
  });

  it("does not retry a terminal 400, and passes the provider's message to the caller", async () => {
    const m = marker();
    openai.plan(m, failWith(400, { message: "Invalid 'max_completion_tokens': integer above maximum value." }));
    const err = await client.chat.completions.create({ model: 'gpt-fake', messages: [{ role: 'user', content: m }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.error).toMatchObject({ code: 'upstream_rejected', message: "Invalid 'max_completion_tokens': integer above maximum value." });
    expect(openai.callsWith(m)).toHaveLength(1);
    const r = await view(err.headers.get('x-request-id'));
    expect(r).toMatchObject({ status: 'failed', attempts: 1, history: [expect.objectContaining({ status_code: 400, error_class: 'upstream_rejected' })] });
  });
});

describe('cancel', () => {
  it('aborts the running HTTP call to the provider', async () => {
    const m = marker();
    openai.plan(m, slow(20_000));
    const { id } = await (await post(`${mesh.url}/v1/chat/completions`, { model: 'gpt-fake', wait: false, completion_window: 'asap', messages: [{ role: 'user', content: m }] })).json();
    await until('the provider to be called', () => openai.callsWith(m).length === 1);
    expect((await (await post(`${mesh.url}/v1/requests/${id}/cancel`, {})).json()).status).toBe('cancelled');
    await until('the fake to see the call aborted', () => openai.callsWith(m)[0].aborted);
    expect(await view(id)).toMatchObject({ status: 'cancelled', attempts: 1, history: [expect.objectContaining({ outcome: 'cancelled' })] });
  });
});

describe('circuit breaker', () => {
  const ask = async (content: string) => view((await client.chat.completions.create({ model: 'breaker-model', messages: [{ role: 'user', content }] })).id);

  it('opens after failures in a row (traffic goes to the next target) and closes after the cool-down', async () => {
    brk.setDefault(failWith(503));
    for (let i = 0; i < 3; i++) {
      const r = await ask(marker());
      expect(r.history.map((h: any) => h.provider)).toEqual(['brk', 'backup']);
    }
    await until('both schedulers to see the breaker open', async () => (await paused('brk')).every((v) => v === 1));
    const callsBefore = brk.calls.length;
    for (let i = 0; i < 4; i++) { // whichever replica takes it
      const whileOpen = await ask(marker());
      expect(whileOpen.history).toEqual([expect.objectContaining({ provider: 'backup', outcome: 'completed', attempt: 1 })]);
    }
    expect(brk.calls.length).toBe(callsBefore);

    brk.setDefault(answer());
    await until('the cool-down to pass', async () => (await paused('brk')).every((v) => v === 0), 20_000);
    const after = await ask(marker());
    expect(after.history).toEqual([expect.objectContaining({ provider: 'brk', outcome: 'completed', attempt: 1 })]);
  });
});

describe('the API key stays secret', () => {
  it('is scrubbed from a provider error that echoes it', async () => {
    const m = marker();
    openai.plan(m, failWith(400, { echoKey: true, message: 'bad request' }));
    const res = await post(`${mesh.url}/v1/chat/completions`, { model: 'gpt-fake', messages: [{ role: 'user', content: m }] });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toContain('[redacted]');
    expect(text).not.toContain(KEY);
    expect(openai.callsWith(m)[0].headers.authorization).toBe(`Bearer ${KEY}`); // it was sent, and echoed back
  });

  it('never appears in any stored record or any log line of any app', async () => {
    const records = await rawValues(mesh.nats.url);
    expect(records.length).toBeGreaterThan(5);
    expect(records.filter((r) => r.includes(KEY))).toEqual([]);
    expect(logs.length).toBeGreaterThan(10);
    expect(logs.filter((l) => l.includes(KEY))).toEqual([]);
  });
});

describe('images to and from Anthropic', () => {
  /** A valid 1x1 PNG. */
  const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
  const pngUrl = `data:image/png;base64,${PNG}`;
  const pngBlock = { type: 'image' as const, source: { type: 'base64' as const, media_type: 'image/png' as const, data: PNG } };

  it('chat image_url parts reach an anthropic-type provider as image blocks (base64 with its media_type, or a url), in order with the text', async () => {
    const m = marker();
    const c = await client.chat.completions.create({
      model: 'claude-fake',
      messages: [{
        role: 'user',
        content: [
          { type: 'text', text: `look ${m}` },
          { type: 'image_url', image_url: { url: pngUrl, detail: 'low' } },
          { type: 'text', text: ' and' },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
        ],
      }],
    });
    expect(anthropic.callsWith(m)[0].body.messages).toEqual([{
      role: 'user',
      content: [
        { type: 'text', text: `look ${m}` },
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
        { type: 'text', text: ' and' },
        { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
      ],
    }]);
    expect(c.choices[0].message.content).toBe(`Fake anthropic reply to: look ${m} and`);
  });

  it('a chat user turn with an image after tool results joins their user turn, after the tool_result blocks', async () => {
    const m = marker();
    await client.chat.completions.create({
      model: 'claude-fake',
      messages: [
        { role: 'user', content: 'take a picture' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_img', type: 'function', function: { name: 'snap', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'toolu_img', content: 'taken' },
        { role: 'user', content: [{ type: 'image_url', image_url: { url: pngUrl } }, { type: 'text', text: `what is on it ${m}` }] },
      ],
      tools: [{ type: 'function', function: { name: 'snap', parameters: { type: 'object', properties: {} } } }],
    });
    expect(anthropic.callsWith(m)[0].body.messages.at(-1)).toEqual({
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: 'toolu_img', content: 'taken' }, pngBlock, { type: 'text', text: `what is on it ${m}` }],
    });
  });

  it('messages.countTokens sends the image with the prompt it asks Anthropic to count', async () => {
    const m = marker();
    await claudeClient.messages.countTokens({ model: 'claude-fake', messages: [{ role: 'user', content: [pngBlock, { type: 'text', text: `count ${m}` }] }] });
    expect(anthropic.callsWith(m)[0]).toMatchObject({
      path: '/v1/messages/count_tokens',
      body: { model: 'claude-up', messages: [{ role: 'user', content: [pngBlock, { type: 'text', text: `count ${m}` }] }] },
    });
  });

  it('Messages image blocks reach an openai-type provider as chat image_url parts (a data URL, or the url)', async () => {
    const m = marker();
    const msg = await claudeClient.messages.create({
      model: 'gpt-fake', max_tokens: 50,
      messages: [{ role: 'user', content: [pngBlock, { type: 'text', text: `what ${m}` }, { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } }] }],
    });
    expect(openai.callsWith(m)[0].body.messages).toEqual([{
      role: 'user',
      content: [{ type: 'image_url', image_url: { url: pngUrl } }, { type: 'text', text: `what ${m}` }, { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } }],
    }]);
    expect(msg).toMatchObject({ type: 'message', content: [{ type: 'text', text: `Fake openai reply to: what ${m}` }] });
  });
});

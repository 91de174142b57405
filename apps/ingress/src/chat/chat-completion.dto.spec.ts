import 'reflect-metadata';
import { validateWithDto } from '../submit/validate-body.js';
import { ChatCompletionDto, plainChat } from './chat-completion.dto.js';

const ok = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
const bodies: [string, Record<string, unknown>][] = [
  ['plain', ok],
  ['with ReqRun extensions', { ...ok, wait: false, wait_timeout: 0, idempotency_key: 'k'.repeat(255), completion_window: 'standard', stream: false }],
  ['with pass-through fields', { ...ok, user: 'u', seed: 1, constructor: { x: 1 } }],
  ['several roles', { model: 'm', messages: ['system', 'developer', 'user', 'assistant'].map((role) => ({ role, content: 'x' })) }],
  ['no tools', { ...ok, tools: [] }],
  ['tools', { ...ok, tools: [{ type: 'function', function: { name: 'f' } }] }],
  ['tools not an array', { ...ok, tools: 'f' }],
  ['functions', { ...ok, functions: [{ name: 'f' }] }],
  ['a text response_format', { ...ok, response_format: { type: 'text' }, n: 1, logprobs: false }],
  ['a JSON response_format', { ...ok, response_format: { type: 'json_object' } }],
  ['a JSON schema response_format', { ...ok, response_format: { type: 'json_schema', json_schema: { name: 's', schema: { type: 'object' }, strict: true } } }],
  ['a grammar response_format', { ...ok, response_format: { type: 'grammar' } }],
  ['n of 2', { ...ok, n: 2 }],
  ['logprobs', { ...ok, logprobs: true }],
  ['stream_options not an object', { ...ok, stream: true, stream_options: 'x' }],
  ['a tool result', { model: 'm', messages: [{ role: 'tool', tool_call_id: 'c', content: '{}' }] }],
  ['a function result', { model: 'm', messages: [{ role: 'function', name: 'f', content: '{}' }] }],
  ['an assistant turn with tool calls', { model: 'm', messages: [{ role: 'assistant', content: 'x', tool_calls: [{ id: 'c', type: 'function' }] }] }],
  ['an image part', { model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }] }],
  ['null content', { model: 'm', messages: [{ role: 'assistant', content: null }] }],
  ['empty model', { ...ok, model: '' }],
  ['model not a string', { ...ok, model: 1 }],
  ['no messages', { model: 'm' }],
  ['empty messages', { model: 'm', messages: [] }],
  ['message not an object', { model: 'm', messages: ['hi'] }],
  ['message an array', { model: 'm', messages: [['user', 'hi']] }],
  ['unknown role', { model: 'm', messages: [{ role: 'robot', content: 'hi' }] }],
  ['content missing', { model: 'm', messages: [{ role: 'user' }] }],
  ['content parts', { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] }],
  ['wait not a boolean', { ...ok, wait: 'no' }],
  ['negative wait_timeout', { ...ok, wait_timeout: -1 }],
  ['key too long', { ...ok, idempotency_key: 'k'.repeat(256) }],
  ['empty key', { ...ok, idempotency_key: '' }],
  ['null key', { ...ok, idempotency_key: null }],
  ['window not a string', { ...ok, completion_window: 3 }],
  ['stream a string', { ...ok, stream: 'yes' }],
  ['max_tokens 0', { ...ok, max_tokens: 0 }],
  ['max_tokens fine', { ...ok, max_tokens: 10 }],
  ['temperature 3', { ...ok, temperature: 3 }],
  ['metadata not an object', { ...ok, metadata: 'x' }],
];

describe('plainChat: the fast yes for chat bodies', () => {
  it.each(bodies)('%s: says yes only where ChatCompletionDto accepts', (_name, body) => {
    let accepted = true;
    try {
      validateWithDto(ChatCompletionDto, body);
    } catch {
      accepted = false;
    }
    if (plainChat(body)) expect(accepted).toBe(true);
  });

  it('says yes to the plain bodies, so they skip class-validator', () => {
    expect(bodies.slice(0, 5).map(([, b]) => plainChat(b))).toEqual([true, true, true, true, true]);
    expect(bodies.slice(5).filter(([, b]) => plainChat(b)).map(([n]) => n)).toEqual([]);
  });
});

describe('ChatCompletionDto refuses what ReqRun cannot translate, rather than drop it', () => {
  const tools = [{ type: 'function', function: { name: 'get_weather', description: 'd', parameters: { type: 'object' }, strict: true } }];
  it.each([
    ['tools, a tool_choice and parallel_tool_calls', { ...ok, tools, tool_choice: { type: 'function', function: { name: 'get_weather' } }, parallel_tool_calls: false }],
    ['tool_choice words', { ...ok, tools, tool_choice: 'required' }],
    ['images in a user turn, by URL and inline', { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image_url', image_url: { url: 'https://x/y.png', detail: 'high' } }, { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQ' } }] }] }],
    ['a tool loop: an assistant turn calling a tool (no content), then the result', {
      model: 'm', tools,
      messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: null, refusal: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{}' } }] }, { role: 'tool', tool_call_id: 'call_1', content: 'sunny' }],
    }],
  ])('accepts %s', (_name, body) => {
    expect(() => validateWithDto(ChatCompletionDto, body)).not.toThrow();
  });

  it.each([
    ['messages nested in an array', { model: 'm', messages: [[{ role: 'user', content: 'hi' }]] }, /^'messages' must be an array of objects$/],
    ['a tool that is an array', { ...ok, tools: [[]] }, /^'tools' must be an array of objects$/],
    ['a tool call that is an array', { model: 'm', messages: [{ role: 'assistant', content: null, tool_calls: [[]] }] }, /^'messages\[0\]\.tool_calls' must be an array of objects$/],
    ['functions (the older tools)', { ...ok, functions: [{ name: 'f' }] }, /^'functions' is the older form of tools: send them as tools$/],
    ['a function turn', { model: 'm', messages: [{ role: 'function', name: 'f', content: '{}' }] }, /^'messages\[0\].role' must be one of system, developer, user, assistant, tool \(a function result goes in a tool turn\)$/],
    ['a tool turn without its call id', { model: 'm', messages: [{ role: 'tool', content: '{}' }] }, /^'messages\[0\].tool_call_id' is required on a tool turn$/],
    ['tool calls on a user turn', { model: 'm', messages: [{ role: 'user', content: 'x', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] }] }, /^'messages\[0\].tool_calls' are only for assistant turns$/],
    ['a tool call without arguments', { model: 'm', messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f' } }] }] }, /^'messages\[0\]\.tool_calls\[0\]\.function\.arguments' must be a string$/],
    ['a tool of another type', { ...ok, tools: [{ type: 'web_search' }] }, /^'tools\[0\]\.type' must be 'function' \(other tool types are not supported\)/],
    ['a function with a bad name', { ...ok, tools: [{ type: 'function', function: { name: 'get weather' } }] }, /^'tools\[0\]\.function\.name' must be 1-64 letters/],
    ['parameters that are not an object', { ...ok, tools: [{ type: 'function', function: { name: 'f', parameters: 'x' } }] }, /^'tools\[0\]\.function\.parameters' must be an object$/],
    ['a tool_choice naming no tool', { ...ok, tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: { type: 'function', function: { name: 'g' } } }, /^'tool_choice' must be auto, none, required/],
    ['a tool_choice of another word', { ...ok, tool_choice: 'always' }, /^'tool_choice' must be auto, none, required/],
    ['content missing on an assistant turn without tool calls', { model: 'm', messages: [{ role: 'assistant', content: null }] }, /^'messages\[0\].content'/],
    ['an image in an assistant turn', { model: 'm', messages: [{ role: 'assistant', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }] }, /^'messages\[0\].content': part 0 is an image: images go in user turns only$/],
    ['an image without a URL', { model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: {} }] }] }, /^'messages\[0\].content': part 0 \(an image\): its URL must be an http\(s\) URL or a base64 data URL$/],
    ['an audio part', { model: 'm', messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'x', format: 'wav' } }] }] }, /^'messages\[0\].content': part 0 has type 'input_audio', which ReqRun cannot translate yet \(send text or image_url parts\)$/],
    ['a response_format of another type', { ...ok, response_format: { type: 'grammar' } }, /^'response_format' of type 'grammar' is not supported: use text, json_object or json_schema$/],
    ['a JSON schema without its json_schema', { ...ok, response_format: { type: 'json_schema' } }, /^'response_format' of type json_schema needs json_schema: \{name, schema\}$/],
    ['a JSON schema without a name', { ...ok, response_format: { type: 'json_schema', json_schema: { schema: {} } } }, /^'response_format' json_schema.name must be 1-64 letters/],
    ['a JSON schema that is not an object', { ...ok, response_format: { type: 'json_schema', json_schema: { name: 's', schema: 'x' } } }, /^'response_format' json_schema.schema must be a JSON Schema object$/],
    ['a strict that is not a boolean', { ...ok, response_format: { type: 'json_schema', json_schema: { name: 's', strict: 'yes' } } }, /^'response_format' json_schema.strict must be a boolean$/],
    ['response_format not an object', { ...ok, response_format: 'json' }, /^'response_format' must be an object$/],
    ['n of 2', { ...ok, n: 2 }, /^'n' must be 1: ReqRun returns one choice$/],
    ['logprobs', { ...ok, logprobs: true }, /^'logprobs' cannot be returned through ReqRun yet/],
    ['top_logprobs', { ...ok, top_logprobs: 3 }, /^'top_logprobs' cannot be returned through ReqRun yet/],
  ])('%s', (_name, body, message) => {
    expect(() => validateWithDto(ChatCompletionDto, body)).toThrow(message);
  });
});

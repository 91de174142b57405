import 'reflect-metadata';
import { validateWithDto } from '../submit/validate-body.js';
import { CreateMessageDto, MessagesPromptDto } from './create-message.dto.js';

const ok = { model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };
const tools = [{ name: 'get_weather', description: 'Weather by city', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }];
const call = { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } };
const result = { type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' };
const loop = (last: unknown[]) => ({ ...ok, tools, messages: [{ role: 'user', content: 'weather?' }, { role: 'assistant', content: [call] }, { role: 'user', content: last }] });

describe('CreateMessageDto takes tool calls', () => {
  it.each([
    ['tools and a tool_choice of each type', [{ type: 'auto' }, { type: 'any', disable_parallel_tool_use: true }, { type: 'none' }, { type: 'tool', name: 'get_weather' }].map((tool_choice) => ({ ...ok, tools, tool_choice }))],
    ['a tool of type custom or null (as Anthropic allows), and strict', [{ ...ok, tools: [{ ...tools[0], type: 'custom', strict: true }, { name: 'b', type: null, input_schema: {} }] }]],
    ['a name of 128 characters', [{ ...ok, tools: [{ name: 'a'.repeat(128), input_schema: {} }] }]],
    ['a loop: tool_use from the assistant, then its tool_result', [loop([result])]],
    ['a tool_result with text blocks, is_error, or no content, and text after it', [loop([{ ...result, content: [{ type: 'text', text: 'sun' }], is_error: false }, { type: 'tool_result', tool_use_id: 'x' }, { type: 'text', text: 'and?' }])]],
    ['an assistant turn with text before its call', [{ ...ok, messages: [{ role: 'assistant', content: [{ type: 'text', text: 'Looking.' }, call] }] }]],
    ['tools with stream: false', [{ ...ok, tools, stream: false }]],
    ['an empty tools list with stream: true', [{ ...ok, tools: [], stream: true }]],
  ])('accepts %s', (_name, bodies) => {
    for (const body of bodies) expect(() => validateWithDto(CreateMessageDto, body)).not.toThrow();
  });

  it('count_tokens takes tools and a tool loop too', () => {
    const { max_tokens: _, ...prompt } = loop([result]);
    expect(() => validateWithDto(MessagesPromptDto, { ...prompt, tool_choice: { type: 'auto' } })).not.toThrow();
  });
});

describe('CreateMessageDto refuses what ReqRun cannot translate, rather than drop it', () => {
  it.each([
    ['a message that is an array', { ...ok, messages: [[]] }, /^'messages' must be an array of objects$/],
    ['messages nested in an array', { ...ok, messages: [[{ role: 'user', content: 'hi' }]] }, /^'messages' must be an array of objects$/],
    ['a tool that is an array', { ...ok, tools: [[]] }, /^'tools' must be an array of objects$/],
    ['a server tool', { ...ok, tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 2 }] }, /^'tools\[0\]\.type' must be 'custom' or left out: only custom tools/],
    ['a tool without input_schema', { ...ok, tools: [{ name: 'f' }] }, /^'tools\[0\]\.input_schema' is required$/],
    ['an input_schema that is not an object', { ...ok, tools: [{ name: 'f', input_schema: 'x' }] }, /^'tools\[0\]\.input_schema' must be an object$/],
    ['a tool with a bad name', { ...ok, tools: [{ name: 'get weather', input_schema: {} }] }, /^'tools\[0\]\.name' must be 1-128 letters, digits, '_' or '-'$/],
    ['a name of 129 characters', { ...ok, tools: [{ name: 'a'.repeat(129), input_schema: {} }] }, /^'tools\[0\]\.name' must be 1-128/],
    ['tools not an array', { ...ok, tools: { name: 'f' } }, /^'tools' must be an array$/],
    ['a tool_choice naming no tool', { ...ok, tools, tool_choice: { type: 'tool', name: 'other' } }, /^'tool_choice': type 'tool' needs the name of one of the tools$/],
    ['a tool_choice of type tool without tools', { ...ok, tool_choice: { type: 'tool', name: 'f' } }, /^'tool_choice': type 'tool' needs the name/],
    ["a tool_choice in chat's words", { ...ok, tools, tool_choice: 'auto' }, /^'tool_choice': must be an object: \{type: auto \| any \| tool \| none\}$/],
    ['a tool_choice of another type', { ...ok, tools, tool_choice: { type: 'required' } }, /^'tool_choice': type must be one of auto, any, tool, none$/],
    ['disable_parallel_tool_use not a boolean', { ...ok, tools, tool_choice: { type: 'auto', disable_parallel_tool_use: 'yes' } }, /^'tool_choice': disable_parallel_tool_use must be a boolean$/],
    ['tool_use on a user turn', { ...ok, messages: [{ role: 'user', content: [call] }] }, /^'messages\[0\]\.content': part 0 of type 'tool_use' is only for assistant turns$/],
    ['tool_result on an assistant turn', { ...ok, messages: [{ role: 'assistant', content: [result] }] }, /^'messages\[0\]\.content': part 0 of type 'tool_result' is only for user turns$/],
    ['a tool_use without an id', { ...ok, messages: [{ role: 'assistant', content: [{ ...call, id: '' }] }] }, /^'messages\[0\]\.content': part 0 \(tool_use\) needs an id string$/],
    ['a tool_use without a name', { ...ok, messages: [{ role: 'assistant', content: [{ ...call, name: 3 }] }] }, /part 0 \(tool_use\) needs a name string$/],
    ['a tool_use whose input is not an object', { ...ok, messages: [{ role: 'assistant', content: [{ ...call, input: '{"city":"Paris"}' }] }] }, /part 0 \(tool_use\) needs an input object$/],
    ['a tool_result without tool_use_id', { ...ok, messages: [{ role: 'user', content: [{ type: 'tool_result', content: 'x' }] }] }, /^'messages\[0\]\.content': part 0 \(tool_result\) needs a tool_use_id string$/],
    ['a tool_result with an image', loop([{ ...result, content: [{ type: 'image', source: { type: 'url', url: 'https://x/y.png' } }] }]), /^'messages\[2\]\.content': part 0 \(tool_result\) content part 0 has type 'image', which ReqRun cannot translate yet \(send text parts\)$/],
    ['a tool_result with content of the wrong type', loop([{ ...result, content: 5 }]), /part 0 \(tool_result\) content must be a string or an array of content parts$/],
    ['is_error not a boolean', loop([{ ...result, is_error: 'yes' }]), /part 0 \(tool_result\) is_error must be a boolean$/],
    ['a document block on an assistant turn', { ...ok, messages: [{ role: 'assistant', content: [{ type: 'document' }] }] }, /part 0 has type 'document', which ReqRun cannot translate yet \(send text, tool_use, thinking or redacted_thinking parts\)$/],
    ['a tool block on a system turn', { ...ok, messages: [{ role: 'system', content: [call] }] }, /part 0 of type 'tool_use' is only for assistant turns$/],
    ['a text block without text', { ...ok, messages: [{ role: 'user', content: [{ type: 'text' }] }] }, /^'messages\[0\]\.content': part 0 must have a text string$/],
    ['a block that is not an object', { ...ok, messages: [{ role: 'user', content: ['hi'] }] }, /^'messages\[0\]\.content': part 0 must be an object with a type$/],
    ['content of the wrong type', { ...ok, messages: [{ role: 'user', content: 5 }] }, /^'messages\[0\]\.content': must be a string or an array of content blocks$/],
    ['blocks on a turn of an odd role', { ...ok, messages: [{ role: 'constructor', content: [{ type: 'text', text: 'x' }] }] }, /^'messages\[0\]\.role' must be one of user, assistant, system$/],
  ])('%s', (_name, body, message) => {
    expect(() => validateWithDto(CreateMessageDto, body)).toThrow(message);
  });
});

const png = { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' };
const image = (source: unknown) => ({ type: 'image', source });
const userTurn = (...content: unknown[]) => ({ ...ok, messages: [{ role: 'user', content }] });

describe('CreateMessageDto takes images in user turns', () => {
  it.each([
    ['a base64 image of each type every provider takes inline', ['image/jpeg', 'image/png', 'image/gif', 'image/webp'].map((media_type) => userTurn(image({ ...png, media_type })))],
    ['an http or https url image', [userTurn(image({ type: 'url', url: 'https://example.com/a.png' })), userTurn(image({ type: 'url', url: 'http://example.com/a.png' }))]],
    ['images between text blocks', [userTurn({ type: 'text', text: 'compare' }, image(png), { type: 'text', text: 'and' }, image({ type: 'url', url: 'https://x/y.png' }))]],
    ['an image after tool results', [loop([result, image(png), { type: 'text', text: 'and this?' }])]],
  ])('accepts %s', (_name, bodies) => {
    for (const body of bodies) expect(() => validateWithDto(CreateMessageDto, body)).not.toThrow();
  });

  it('count_tokens takes images too', () => {
    const { max_tokens: _, ...prompt } = userTurn(image(png), { type: 'text', text: 'what is this?' });
    expect(() => validateWithDto(MessagesPromptDto, prompt)).not.toThrow();
  });
});

describe('CreateMessageDto refuses images it cannot pass on, naming the part', () => {
  /** The whole message for the first turn's first part, `problem` taken literally. */
  const firstPart = (problem: string) => new RegExp(`^'messages\\[0\\]\\.content': part 0 ${problem.replace(/[()[\]{}|.*+?^$]/g, '\\$&')}$`);
  it.each([
    ['an image on an assistant turn', { ...ok, messages: [{ role: 'assistant', content: [image(png)] }] }, firstPart("of type 'image' is only for user turns")],
    ['an image on a system turn', { ...ok, messages: [{ role: 'system', content: [image(png)] }] }, firstPart("of type 'image' is only for user turns")],
    ['an image in system', { ...ok, system: [image(png)] }, /^'system': part 0 has type 'image', which ReqRun cannot translate yet \(send text parts\)$/],
    ['a document on a user turn', userTurn({ type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'x' } }), firstPart("has type 'document', which ReqRun cannot translate yet (send text, image or tool_result parts)")],
    ['an image without a source', userTurn({ type: 'image' }), firstPart("(image) needs a source: {type: 'base64', media_type, data} or {type: 'url', url}")],
    ['an image from the Files API', userTurn(image({ type: 'file', file_id: 'file_1' })), firstPart("(image) source has type 'file', which ReqRun cannot translate yet (send {type: 'base64', media_type, data} or {type: 'url', url})")],
    ['a base64 image of another type', userTurn(image({ ...png, media_type: 'image/bmp' })), firstPart('(image) source media_type must be one of image/jpeg, image/png, image/gif, image/webp')],
    ['a base64 image without a media_type', userTurn(image({ type: 'base64', data: png.data })), firstPart('(image) source media_type must be one of image/jpeg, image/png, image/gif, image/webp')],
    ['a base64 image without data', userTurn(image({ ...png, data: '' })), firstPart('(image) source data must be a non-empty base64 string')],
    ['a base64 image whose data is not base64', userTurn(image({ ...png, data: 'not base64!' })), firstPart('(image) source data must be a non-empty base64 string')],
    ['a base64 image whose data is not a string', userTurn(image({ ...png, data: 5 })), firstPart('(image) source data must be a non-empty base64 string')],
    ['a url image that is a data URL', userTurn(image({ type: 'url', url: 'data:image/png;base64,iVBORw0KGgo=' })), firstPart('(image) source url must be an http(s) URL')],
    ['a url image without a url', userTurn(image({ type: 'url' })), firstPart('(image) source url must be an http(s) URL')],
  ])('%s', (_name, body, message) => {
    expect(() => validateWithDto(CreateMessageDto, body)).toThrow(message);
  });
});

const thought = { type: 'thinking', thinking: 'Weather, then.', signature: 'sig-1' };
const redacted = { type: 'redacted_thinking', data: 'opaque' };
const assistantTurn = (...content: unknown[]) => ({ ...ok, messages: [{ role: 'user', content: 'weather?' }, { role: 'assistant', content }] });

describe("CreateMessageDto takes Anthropic's thinking", () => {
  it.each([
    ['thinking enabled with a budget under max_tokens, and a display', [{ type: 'enabled', budget_tokens: 1024 }, { type: 'enabled', budget_tokens: 4000, display: 'omitted' }].map((thinking) => ({ ...ok, max_tokens: 8000, thinking }))],
    ['thinking adaptive or disabled, or null', [{ type: 'adaptive' }, { type: 'disabled' }, null].map((thinking) => ({ ...ok, thinking }))],
    ['top_k', [{ ...ok, top_k: 0 }, { ...ok, top_k: 40 }]],
    ['an assistant turn with thinking blocks (an omitted one empty) before its text and call', [assistantTurn(thought, { ...thought, thinking: '' }, redacted, { type: 'text', text: 'Looking.' }, call)]],
  ])('accepts %s', (_name, bodies) => {
    for (const body of bodies) expect(() => validateWithDto(CreateMessageDto, body)).not.toThrow();
  });

  it.each([
    ['thinking of another type', { ...ok, thinking: { type: 'on' } }, /^'thinking': type must be one of enabled, adaptive, disabled$/],
    ['thinking enabled without a budget', { ...ok, thinking: { type: 'enabled' } }, /^'thinking': budget_tokens must be an integer of at least 1024$/],
    ['a budget under 1024', { ...ok, thinking: { type: 'enabled', budget_tokens: 1000 } }, /^'thinking': budget_tokens must be an integer of at least 1024$/],
    ['thinking that is not an object', { ...ok, thinking: true }, /^'thinking': must be an object/],
    ['a budget not under max_tokens', { ...ok, max_tokens: 2048, thinking: { type: 'enabled', budget_tokens: 2048 } }, /^'thinking': budget_tokens \(2048\) must be less than max_tokens \(2048\)$/],
    ['top_k below 0', { ...ok, top_k: -1 }, /^'top_k' must not be less than 0$/],
    ['a thinking block on a user turn', userTurn(thought), /^'messages\[0\]\.content': part 0 of type 'thinking' is only for assistant turns$/],
    ['a redacted_thinking block on a user turn', userTurn(redacted), /part 0 of type 'redacted_thinking' is only for assistant turns$/],
    ['a thinking block without its signature', assistantTurn({ type: 'thinking', thinking: 'x' }), /^'messages\[1\]\.content': part 0 \(thinking\) needs a signature string$/],
    ['a thinking block without its thinking', assistantTurn({ type: 'thinking', signature: 's' }), /part 0 \(thinking\) needs a thinking string$/],
    ['a redacted_thinking block without data', assistantTurn({ type: 'redacted_thinking' }), /part 0 \(redacted_thinking\) needs a data string$/],
  ])('refuses %s', (_name, body, message) => {
    expect(() => validateWithDto(CreateMessageDto, body)).toThrow(message);
  });

  it('checks thinking in a token count too, which has no max_tokens to fit', () => {
    const { max_tokens: _m, ...prompt } = ok;
    expect(() => validateWithDto(MessagesPromptDto, { ...prompt, thinking: { type: 'enabled', budget_tokens: 50_000 } })).not.toThrow();
    expect(() => validateWithDto(MessagesPromptDto, { ...prompt, thinking: { type: 'enabled' } })).toThrow(/^'thinking': budget_tokens must be an integer/);
  });
});

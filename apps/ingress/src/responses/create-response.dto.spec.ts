import 'reflect-metadata';
import { validateWithDto } from '../submit/validate-body.js';
import { CreateResponseDto, inputProblem } from './create-response.dto.js';

describe('Responses input', () => {
  it.each([
    ['a string', 'hi'],
    ['easy input messages', [{ role: 'user', content: 'hi' }, { role: 'developer', content: 'formal' }]],
    ['message items with text parts, output messages too', [
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'a' }] },
      { type: 'message', role: 'assistant', id: 'msg_1', status: 'completed', content: [{ type: 'output_text', text: 'b', annotations: [] }] },
    ]],
    ['an image by URL and inline, with text', [{ role: 'user', content: [{ type: 'input_text', text: 'see' }, { type: 'input_image', image_url: 'https://x/y.png', detail: 'low' }, { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgo=' }] }]],
    ['a tool loop', [
      { role: 'user', content: 'q' },
      { type: 'function_call', id: 'fc_1', call_id: 'c', name: 'f', arguments: '{}', status: 'completed' },
      { type: 'function_call_output', call_id: 'c', output: 'r' },
      { type: 'function_call_output', call_id: 'c', output: [{ type: 'input_text', text: 'r' }] },
    ]],
  ])('accepts %s', (_n, input) => {
    expect(inputProblem(input)).toBeNull();
  });

  it.each([
    ['an empty string', '', 'must not be empty'],
    ['an empty list', [], 'must contain at least one item'],
    ['a number', 5, 'must be a string or an array of input items'],
    ['a non-object item', ['hi'], 'item 0 must be an object'],
    ['an item of another type', [{ type: 'web_search_call', id: 'w' }], "item 0 has type 'web_search_call', which ReqRun cannot translate yet (send message, function_call or function_call_output items)"],
    ['a function call without its call_id', [{ type: 'function_call', name: 'f', arguments: '{}' }], 'item 0 (a function_call) needs call_id as a string'],
    ['a function call whose arguments are not a string', [{ type: 'function_call', call_id: 'c', name: 'f', arguments: {} }], 'item 0 (a function_call) needs arguments as a string'],
    ['an output without its call_id', [{ type: 'function_call_output', output: 'r' }], 'item 0 (a function_call_output) needs call_id as a string'],
    ['an output that is an image', [{ type: 'function_call_output', call_id: 'c', output: [{ type: 'input_image', image_url: 'http://x' }] }], "item 0 output: part 0 has type 'input_image', which ReqRun cannot translate yet (send input_text or output_text parts)"],
    ['an unknown role', [{ role: 'robot', content: 'x' }], 'item 0 needs a role: one of user, assistant, system, developer'],
    ['an image by file id', [{ role: 'user', content: [{ type: 'input_text', text: 'see' }, { type: 'input_image', file_id: 'file_1' }] }], 'item 0 content: part 1 (an image): its URL must be an http(s) URL or a base64 data URL'],
    ['an image in an assistant turn', [{ role: 'assistant', content: [{ type: 'input_image', image_url: 'https://x/y.png' }] }], 'item 0 content: part 0 is an image: images go in user turns only'],
    ['an inline image of another type', [{ role: 'user', content: [{ type: 'input_image', image_url: 'data:image/tiff;base64,AAAA' }] }], 'item 0 content: part 0 (an image): its URL has type image/tiff; inline images must be one of image/jpeg, image/png, image/gif, image/webp'],
    ['a file part', [{ role: 'user', content: [{ type: 'input_file', file_id: 'f' }] }], "item 0 content: part 0 has type 'input_file', which ReqRun cannot translate yet (send input_text or output_text or input_image parts)"],
    ['a part without text', [{ role: 'user', content: [{ type: 'input_text' }] }], 'item 0 content: part 0 must have a text string'],
  ])('refuses %s, saying what is wrong', (_n, input, want) => {
    expect(inputProblem(input)).toBe(want);
  });
});

describe('Responses text.format', () => {
  const ok = { model: 'm', input: 'hi' };
  it.each([
    ['absent', ok],
    ['text', { ...ok, text: { format: { type: 'text' } } }],
    ['text without a format', { ...ok, text: { verbosity: 'low' } }],
    ['JSON mode', { ...ok, text: { format: { type: 'json_object' } } }],
    ['a JSON schema', { ...ok, text: { format: { type: 'json_schema', name: 's', schema: { type: 'object' }, strict: true } } }],
  ])('accepts %s', (_n, body) => {
    expect(() => validateWithDto(CreateResponseDto, body)).not.toThrow();
  });

  it.each([
    ['a format of another type', { ...ok, text: { format: { type: 'grammar' } } }, /^'text': format of type 'grammar' is not supported: use text, json_object or json_schema$/],
    ['a JSON schema without a name', { ...ok, text: { format: { type: 'json_schema', schema: {} } } }, /^'text': format name must be 1-64 letters/],
    ['a format that is not an object', { ...ok, text: { format: 'json' } }, /^'text': format must be an object with a type$/],
    ['text that is not an object', { ...ok, text: 'json' }, /^'text' must be an object$/],
  ])('refuses %s, rather than ignore it', (_n, body, message) => {
    expect(() => validateWithDto(CreateResponseDto, body)).toThrow(message);
  });
});

describe('Responses tools', () => {
  const ok = { model: 'm', input: 'hi' };
  const tools = [{ type: 'function', name: 'get_weather', description: 'd', parameters: { type: 'object' }, strict: true }];
  it.each([
    ['function tools, a named tool_choice, parallel_tool_calls', { ...ok, tools, tool_choice: { type: 'function', name: 'get_weather' }, parallel_tool_calls: false }],
    ['tool_choice words', { ...ok, tools, tool_choice: 'auto' }],
    ['nulls where OpenAI allows them', { ...ok, tools: [{ type: 'function', name: 'f', description: null, parameters: null, strict: null }] }],
  ])('accepts %s', (_n, body) => {
    expect(() => validateWithDto(CreateResponseDto, body)).not.toThrow();
  });

  it.each([
    ['a tool that is an array', { ...ok, tools: [[{ type: 'function', name: 'f' }]] }, /^'tools' must be an array of objects$/],
    ['a built-in tool', { ...ok, tools: [{ type: 'web_search_preview' }] }, /^'tools\[0\]\.type' must be 'function' \(other tool types are not supported\)/],
    ['a function with a bad name', { ...ok, tools: [{ type: 'function', name: 'a b' }] }, /^'tools\[0\]\.name' must be 1-64 letters/],
    ['a tool_choice naming no tool', { ...ok, tools, tool_choice: { type: 'function', name: 'nope' } }, /^'tool_choice' must be auto, none, required, or \{type: 'function', name\} naming one of the tools$/],
  ])('refuses %s', (_n, body, message) => {
    expect(() => validateWithDto(CreateResponseDto, body)).toThrow(message);
  });
});

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
  ])('accepts %s', (_n, input) => {
    expect(inputProblem(input)).toBeNull();
  });

  it.each([
    ['an empty string', '', 'must not be empty'],
    ['an empty list', [], 'must contain at least one item'],
    ['a number', 5, 'must be a string or an array of input items'],
    ['a non-object item', ['hi'], 'item 0 must be an object'],
    ['a function call item', [{ type: 'function_call_output', call_id: 'c', output: '{}' }], "item 0 has type 'function_call_output', which ReqRun cannot translate yet (send message items)"],
    ['an unknown role', [{ role: 'robot', content: 'x' }], 'item 0 needs a role: one of user, assistant, system, developer'],
    ['an image part', [{ role: 'user', content: [{ type: 'input_text', text: 'see' }, { type: 'input_image', image_url: 'http://x' }] }], "item 0 content: part 1 has type 'input_image', which ReqRun cannot translate yet (send input_text or output_text parts)"],
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

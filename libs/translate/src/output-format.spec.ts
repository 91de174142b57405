import { canonicalToChat, chatToCanonical } from './chat.translate.js';
import { mockAnswer } from './mock-answer.js';
import { canonicalToFormat, formatToCanonical, outputFormatProblem } from './output-format.js';
import { canonicalToResponses, responsesToCanonical } from './responses.translate.js';

const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] };

describe('answer formats', () => {
  it.each([
    ['JSON mode', { type: 'json_object' }, { type: 'json_object' }, { type: 'json_object' }],
    [
      'a JSON schema',
      { type: 'json_schema', json_schema: { name: 'n', description: 'd', schema, strict: true } },
      { type: 'json_schema', name: 'n', description: 'd', schema, strict: true },
      { type: 'json_schema', name: 'n', description: 'd', schema, strict: true },
    ],
    ['a JSON schema with a name only', { type: 'json_schema', json_schema: { name: 'n' } }, { type: 'json_schema', name: 'n' }, { type: 'json_schema', name: 'n' }],
  ])('%s: chat and Responses shapes both ways', (_n, chat, responses, canonical) => {
    expect(formatToCanonical(chat, 'chat')).toEqual(canonical);
    expect(formatToCanonical(responses, 'responses')).toEqual(canonical);
    expect(canonicalToFormat(canonical as never, 'chat')).toEqual(chat);
    expect(canonicalToFormat(canonical as never, 'responses')).toEqual(responses);
  });

  it('text (or nothing) is no format', () => {
    expect(formatToCanonical({ type: 'text' }, 'chat')).toBeUndefined();
    expect(formatToCanonical(undefined, 'responses')).toBeUndefined();
    expect(chatToCanonical({ model: 'm', messages: [], response_format: { type: 'text' } })).not.toHaveProperty('format');
  });

  it('goes through the request translations: chat to chat, Responses to chat and to Responses', () => {
    const format = { type: 'json_schema', json_schema: { name: 'n', schema } };
    const fromChat = chatToCanonical({ model: 'm', messages: [{ role: 'user', content: 'q' }], response_format: format });
    expect(canonicalToChat(fromChat).response_format).toEqual(format);
    const fromResponses = responsesToCanonical({ model: 'm', input: 'q', text: { format: { type: 'json_schema', name: 'n', schema } } });
    expect(canonicalToChat(fromResponses).response_format).toEqual(format);
    expect(canonicalToResponses(fromResponses).text).toEqual({ format: { type: 'json_schema', name: 'n', schema } });
  });

  it.each([
    [null, 'chat', null],
    [{ type: 'text' }, 'chat', null],
    ['json', 'chat', 'must be an object with a type'],
    [{ type: 'grammar' }, 'responses', "of type 'grammar' is not supported: use text, json_object or json_schema"],
    [{ type: 'json_schema' }, 'chat', 'of type json_schema needs json_schema: {name, schema}'],
    [{ type: 'json_schema', json_schema: { name: 'a b' } }, 'chat', "json_schema.name must be 1-64 letters, digits, '_' or '-'"],
    [{ type: 'json_schema', name: 'x'.repeat(65) }, 'responses', "name must be 1-64 letters, digits, '_' or '-'"],
    [{ type: 'json_schema', name: 'n', schema: [] }, 'responses', 'schema must be a JSON Schema object'],
    [{ type: 'json_schema', name: 'n', strict: 1 }, 'responses', 'strict must be a boolean'],
    [{ type: 'json_schema', name: 'n', description: 2 }, 'responses', 'description must be a string'],
  ])('%j (%s): %s', (format, shape, problem) => {
    expect(outputFormatProblem(format, shape as 'chat' | 'responses')).toBe(problem);
  });
});

describe('the mock answers in the format asked for', () => {
  const ask = (format: object) => mockAnswer({ model: 'm', messages: [{ role: 'user', content: 'hi' }], format: format as never }).text;

  it('JSON mode, and a schema-less JSON schema: {"reply": ...}', () => {
    expect(JSON.parse(ask({ type: 'json_object' }))).toEqual({ reply: 'Mock reply to: hi' });
    expect(JSON.parse(ask({ type: 'json_schema', name: 'n' }))).toEqual({ reply: 'Mock reply to: hi' });
  });

  it('a JSON schema: an instance of it, every string the reply', () => {
    const s = {
      type: 'object',
      properties: {
        s: { type: 'string' }, i: { type: 'integer', minimum: 3 }, b: { type: 'boolean' }, nul: { type: 'null' },
        e: { enum: ['x', 'y'] }, c: { const: 7 }, opt: { type: ['null', 'number'] }, any: { anyOf: [{ type: 'boolean' }, { type: 'string' }] },
        list: { type: 'array', items: { type: 'object', properties: { t: { type: 'string' } } } }, empty: { type: 'array' },
      },
    };
    expect(JSON.parse(ask({ type: 'json_schema', name: 'n', schema: s }))).toEqual({
      s: 'Mock reply to: hi', i: 3, b: true, nul: null, e: 'x', c: 7, opt: 0, any: true, list: [{ t: 'Mock reply to: hi' }], empty: [],
    });
  });
});

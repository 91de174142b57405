import { parseJsonBody } from './json-body.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const codeOf = (s: string, limit = 1000) => {
  try {
    parseJsonBody(bytes(s), limit);
    return 'ok';
  } catch (e) {
    return `${(e as { status: number }).status} ${(e as { code: string }).code}`;
  }
};

describe('parseJsonBody', () => {
  it.each([
    ['{"a":1}', 'ok'],
    ['{"a":{"constructor":{"name":"x"}}}', 'ok'],
    ['{nope', '400 invalid_json'],
    ['{"__proto__":{"x":1}}', '400 invalid_json'],
    ['{"a":{"constructor":{"prototype":{"x":1}}}}', '400 invalid_json'],
    [`${'['.repeat(70)}${']'.repeat(70)}`, '400 json_too_deep'],
  ])('%s: %s', (s, want) => {
    expect(codeOf(s)).toBe(want);
  });

  it('refuses a body over the limit before parsing it', () => {
    expect(codeOf(`"${'x'.repeat(20)}"`, 10)).toBe('413 request_too_large');
  });
});

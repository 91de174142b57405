import { checkJsonDepth } from './json-depth.js';

const nested = (depth: number): unknown => JSON.parse('['.repeat(depth) + ']'.repeat(depth));

describe('checkJsonDepth', () => {
  it.each([
    ['a scalar', 1, true],
    ['a flat body', { model: 'm', messages: [{ role: 'user', content: 'hi' }] }, true],
    ['64 levels', nested(64), true],
    ['65 levels', nested(65), false],
    ['half a million levels (no stack overflow)', nested(500_000), false],
    ['deep objects', JSON.parse('{"a":'.repeat(100) + '1' + '}'.repeat(100)), false],
  ])('%s', (_name, body, ok) => {
    if (ok) expect(() => checkJsonDepth(body)).not.toThrow();
    else expect(() => checkJsonDepth(body)).toThrow(expect.objectContaining({ status: 400, code: 'json_too_deep' }));
  });
});

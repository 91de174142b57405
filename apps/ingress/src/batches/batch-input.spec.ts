import { parseBatchInput } from './batch-input.js';

const ep = '/v1/chat/completions';
const line = (custom_id: unknown, o: Record<string, unknown> = {}) => JSON.stringify({ custom_id, method: 'POST', url: ep, body: { model: 'm', messages: [] }, ...o });

describe('parseBatchInput', () => {
  it('reads every line, numbering them as in the file (blank lines skipped)', () => {
    const r = parseBatchInput(`${line('a')}\n\n${line('b')}\r\n`, ep);
    expect(r).toEqual({ ok: true, lines: [{ line: 1, custom_id: 'a', body: { model: 'm', messages: [] } }, { line: 3, custom_id: 'b', body: { model: 'm', messages: [] } }] });
  });

  it('fails the file on any bad line, naming each', () => {
    const text = ['{not json', line('a'), line('a'), line('', { method: 'GET' }), line('c', { url: '/v1/responses' }), line('d', { body: [1] }), '[1]'].join('\n');
    const r = parseBatchInput(text, ep);
    if (r.ok) throw new Error('expected errors');
    expect(r.errors.map((e) => [e.code, e.line])).toEqual([
      ['invalid_json_line', 1], ['duplicate_custom_id', 3], ['invalid_custom_id', 4], ['invalid_method', 4], ['invalid_url', 5], ['invalid_body', 6], ['invalid_json_line', 7],
    ]);
    expect(r.errors[1]).toMatchObject({ param: 'custom_id', message: expect.stringContaining("'a'") });
  });

  it('refuses an empty file and one over the line limit', () => {
    expect(parseBatchInput('\n', ep)).toMatchObject({ ok: false, errors: [{ code: 'empty_file', line: null }] });
    const many = Array.from({ length: 50_001 }, (_, i) => line(`c${i}`)).join('\n');
    expect(parseBatchInput(many, ep)).toMatchObject({ ok: false, errors: [{ code: 'too_many_requests' }] });
  });
});

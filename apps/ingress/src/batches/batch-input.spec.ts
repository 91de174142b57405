import type { BatchError } from '@reqrun/store';
import { checkBatchInput, InputCheck, type BatchLine } from './batch-input.js';
import { LineSplitter, readLines } from './batch.line-reader.js';

const ep = '/v1/chat/completions';
const line = (custom_id: unknown, o: Record<string, unknown> = {}) => JSON.stringify({ custom_id, method: 'POST', url: ep, body: { model: 'm', messages: [] }, ...o });

/** A whole file's text read at once, its requests kept: what the streamed check must agree with. */
function parseBatchInput(text: string, endpoint: string): { ok: true; lines: BatchLine[] } | { ok: false; errors: BatchError[] } {
  const check = new InputCheck(endpoint);
  const split = new LineSplitter();
  const lines: BatchLine[] = [];
  for (const l of [...split.push(text), ...split.end()]) {
    const ok = check.add(l);
    if (ok) lines.push(ok);
  }
  const r = check.result();
  return r.ok ? { ok: true, lines } : r;
}

describe('InputCheck, on a whole file', () => {
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

describe('checkBatchInput', () => {
  const linesOf = async function* (text: string) {
    yield* readLines(new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode(text));
        c.close();
      },
    }));
  };
  const check = (text: string, endpoint = ep) => checkBatchInput(linesOf(text), endpoint);
  const lines = (n: number, o: Record<string, unknown> = {}) => Array.from({ length: n }, (_, i) => line(`c${i}`, o)).join('\n');

  it('counts the requests of a good file, as parseBatchInput reads it', async () => {
    expect(await check(`${line('a')}\n\n${line('b')}\r\n`)).toEqual({ ok: true, total: 2 });
  });

  it('gives the errors parseBatchInput gives, for every case', async () => {
    const text = ['{not json', line('a'), line('a'), line('', { method: 'GET' }), line('c', { url: '/v1/responses' }), line('d', { body: [1] }), '[1]'].join('\n');
    for (const t of [text, '\n', '', lines(50_001), `${lines(50_001)}\n${line('c3')}`, `${line('x', { method: 'GET' })}\n${lines(50_001)}`]) {
      const r = parseBatchInput(t, ep);
      expect(await check(t)).toEqual(r.ok ? { ok: true, total: r.lines.length } : r);
    }
  });

  it('allows 50,000 lines and 100,000 requests for a Message Batch, no more', async () => {
    expect(await check(lines(50_000))).toEqual({ ok: true, total: 50_000 });
    const m = '/v1/messages';
    expect(await check(lines(100_000, { url: m }), m)).toEqual({ ok: true, total: 100_000 });
    expect(await check(lines(100_001, { url: m }), m)).toMatchObject({ ok: false, errors: [{ code: 'too_many_requests', message: expect.stringContaining('100001 requests') }] });
  });

  it('keeps the first 100 errors, and stops reading there', async () => {
    const r = await check(lines(150, { method: 'GET' }));
    expect(r).toMatchObject({ ok: false });
    if (!r.ok) expect(r.errors.map((e) => e.line)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });
});

import { LineSplitter, readLines, type RawLine } from './batch.line-reader.js';

/** A stream of the given byte pieces, as a file arrives in chunks. */
const streamOf = (pieces: Uint8Array[]) => new ReadableStream<Uint8Array>({
  start(c) {
    for (const p of pieces) c.enqueue(p);
    c.close();
  },
});
const bytes = (s: string) => new TextEncoder().encode(s);
/** The bytes of `s` cut every `size` bytes (through multi-byte characters). */
const cut = (s: string, size: number) => {
  const b = bytes(s);
  return Array.from({ length: Math.ceil(b.length / size) }, (_, i) => b.subarray(i * size, (i + 1) * size));
};
const all = async (pieces: Uint8Array[]) => {
  const out: RawLine[] = [];
  for await (const l of readLines(streamOf(pieces))) out.push(l);
  return out;
};

describe('readLines', () => {
  const text = '{"a":1}\r\n\n  \r\n{"b":"é€😀"}\n{"c":3}';
  const expected = [{ line: 1, text: '{"a":1}' }, { line: 4, text: '{"b":"é€😀"}' }, { line: 5, text: '{"c":3}' }];

  it('reads lines split across chunks, at every cut (multi-byte characters too), CRLF, blank lines counted, a last line without newline', async () => {
    for (let size = 1; size <= bytes(text).length; size++) expect(await all(cut(text, size))).toEqual(expected);
  });

  it('reads a file ending in a newline, an empty one, and one of blank lines', async () => {
    expect(await all([bytes('{"a":1}\n')])).toEqual([{ line: 1, text: '{"a":1}' }]);
    expect(await all([])).toEqual([]);
    expect(await all([bytes('\n \n\t\r\n')])).toEqual([]);
  });

  it('drops a BOM and reads invalid UTF-8 as the decoder does', async () => {
    expect(await all([new Uint8Array([0xef, 0xbb]), new Uint8Array([0xbf]), bytes('{"a":1}')])).toEqual([{ line: 1, text: '{"a":1}' }]);
    expect(await all([new Uint8Array([0x61, 0xff, 0x62])])).toEqual([{ line: 1, text: 'a\uFFFDb' }]);
  });

  it('cancels the stream when its reader stops early', async () => {
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        c.enqueue(bytes('{"x":1}\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const l of readLines(stream)) if (l.line === 3) break;
    expect(cancelled).toBe(true);
  });
});

describe('LineSplitter', () => {
  it('splits as the text arrives, a line waiting for its end', () => {
    const s = new LineSplitter();
    expect(s.push('{"a"')).toEqual([]);
    expect(s.push(':1}\n{"b"')).toEqual([{ line: 1, text: '{"a":1}' }]);
    expect(s.push(':2}')).toEqual([]);
    expect(s.end()).toEqual([{ line: 2, text: '{"b":2}' }]);
  });
});

import type { CanonicalRequest } from '@reqrun/contracts';
import { mockAnswer } from '@reqrun/translate';
import { argumentPieces, MockAdapter, words } from './mock.adapter.js';
import type { ToolCallDelta } from '@reqrun/translate';
import type { CallOptions } from './provider.js';
import { ProviderError } from './provider.js';

const req = (metadata: Record<string, unknown> = {}): CanonicalRequest => ({ model: 'mock-1', messages: [{ role: 'user', content: 'one two  three' }], metadata });
const streamed = (o: Partial<CallOptions> = {}) => {
  const deltas: string[] = [];
  return { deltas, opts: { signal: new AbortController().signal, attempt: 1, api: 'chat' as const, onDelta: (t: string) => void deltas.push(t), ...o } };
};
const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a failure'); }, (e) => e as ProviderError);
const sut = new MockAdapter();

describe('words', () => {
  it.each([
    ['Mock reply to: hi', ['Mock ', 'reply ', 'to: ', 'hi']],
    ['  lead and trail  ', ['  ', 'lead ', 'and ', 'trail  ']],
    ['one', ['one']],
    ['', []],
  ])('%j -> %j', (text, pieces) => {
    expect(words(text)).toEqual(pieces);
    expect(pieces.join('')).toBe(text);
  });
});

describe('mock adapter, streaming', () => {
  it('reports the answer word by word and returns the same result as an unstreamed call', async () => {
    const { deltas, opts } = streamed();
    const r = await sut.call(req(), opts);
    expect(deltas).toEqual(['Mock ', 'reply ', 'to: ', 'one ', 'two  ', 'three']);
    expect(r).toEqual(mockAnswer(req()));
    expect(await sut.call(req(), { ...opts, onDelta: undefined })).toEqual(r);
  });

  it("mid_stream fails, retryable, right after the first piece; unstreamed it fails before any", async () => {
    const { deltas, opts } = streamed();
    expect(await failure(sut.call(req({ mock_fail: 'mid_stream' }), opts))).toMatchObject({ code: 'upstream_error', retryable: true });
    expect(deltas).toEqual(['Mock ']);
    expect(await failure(sut.call(req({ mock_fail: 'mid_stream' }), { ...opts, onDelta: undefined }))).toBeInstanceOf(ProviderError);
  });

  it('mid_stream:1 fails only the first attempt', async () => {
    const { deltas, opts } = streamed({ attempt: 2 });
    await sut.call(req({ mock_fail: 'mid_stream:1' }), opts);
    expect(deltas.join('')).toBe(mockAnswer(req()).text);
  });

  it('other failures come before any piece', async () => {
    for (const mock_fail of ['retryable', 'terminal']) {
      const { deltas, opts } = streamed();
      await failure(sut.call(req({ mock_fail }), opts));
      expect(deltas).toEqual([]);
    }
  });

  it('stops between two pieces when the call is aborted', async () => {
    const ctl = new AbortController();
    const { deltas, opts } = streamed({ signal: ctl.signal });
    const call = sut.call(req({ mock_chunk_delay_ms: '60000' }), { ...opts, onDelta: (t) => { deltas.push(t); ctl.abort('cancelled'); } });
    await expect(call).rejects.toThrow();
    expect(deltas).toEqual(['Mock ']);
  });

  it('awaits an async sink before the next piece', async () => {
    const seen: string[] = [];
    let busy = false;
    await sut.call(req(), {
      ...streamed().opts,
      onDelta: async (t) => {
        expect(busy).toBe(false);
        busy = true;
        await new Promise((r) => setImmediate(r));
        seen.push(t);
        busy = false;
      },
    });
    expect(seen.join('')).toBe(mockAnswer(req()).text);
  });
});

describe('mock adapter, streaming with tools', () => {
  const withTools: CanonicalRequest = {
    model: 'mock-1', messages: [{ role: 'user', content: 'Weather in Paris?' }],
    tools: [{ name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }],
  };

  it('reports its call in pieces (id and name with the first), which join to the arguments of the unstreamed answer', async () => {
    const pieces: ToolCallDelta[] = [];
    const { deltas, opts } = streamed({ onToolCallDelta: (p) => void pieces.push(p) });
    const r = await sut.call(withTools, opts);
    expect(r).toEqual(mockAnswer(withTools));
    expect(deltas).toEqual([]);
    expect(pieces.length).toBeGreaterThanOrEqual(2);
    expect(pieces[0]).toMatchObject({ index: 0, id: r.tool_calls![0].id, name: 'get_weather' });
    expect(pieces.slice(1).every((p) => p.index === 0 && p.id === undefined && p.name === undefined)).toBe(true);
    expect(pieces.map((p) => p.arguments_delta).join('')).toBe(r.tool_calls![0].arguments);
  });

  it('mid_stream fails right after the first piece of the call', async () => {
    const pieces: ToolCallDelta[] = [];
    const { opts } = streamed({ onToolCallDelta: (p) => void pieces.push(p) });
    const e = await failure(sut.call({ ...withTools, metadata: { mock_fail: 'mid_stream' } }, opts));
    expect(e.retryable).toBe(true);
    expect(pieces).toHaveLength(1);
  });

  it.each([['{"a":"b c"}', ['{"a":"b ', 'c"}']], ['{}', ['{', '}']], ['{"x":1}', ['{"x"', ':1}']]])('argumentPieces(%j)', (args, expected) => {
    expect(argumentPieces(args)).toEqual(expected);
  });
});

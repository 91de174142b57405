import type { CanonicalRequest, CanonicalThinking } from '@reqrun/contracts';
import { mockAnswer } from '@reqrun/translate';
import { argumentPieces, MockAdapter, thinkingPieces, words } from './mock.adapter.js';
import type { ThinkingDelta, ToolCallDelta } from '@reqrun/translate';
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

describe('mock adapter, streaming with thinking', () => {
  const thinks: CanonicalRequest = {
    model: 'mock-1', messages: [{ role: 'user', content: 'Weather in Paris?' }], anthropic: { thinking: { type: 'enabled', budget_tokens: 1024 } },
  };

  it('reports its thinking block first, its text in 2+ pieces then its signature, which join to the unstreamed block; then the text', async () => {
    const order: string[] = [];
    const pieces: ThinkingDelta[] = [];
    const { opts } = streamed({ onThinkingDelta: (p) => void (pieces.push(p), order.push('thinking')), onDelta: () => void order.push('text') });
    const r = await sut.call(thinks, opts);
    expect(r).toEqual(mockAnswer(thinks));
    const block = r.thinking![0] as Extract<CanonicalThinking, { type: 'thinking' }>;
    expect(pieces.filter((p) => p.thinking !== undefined).length).toBeGreaterThanOrEqual(2);
    expect(pieces.every((p) => p.index === 0)).toBe(true);
    expect(pieces.map((p) => p.thinking ?? '').join('')).toBe(block.thinking);
    expect(pieces.at(-1)).toEqual({ index: 0, signature: block.signature });
    expect(order.indexOf('text')).toBe(pieces.length);
  });

  it('thinkingPieces: a block with no text still opens with a piece; a redacted one is one piece', () => {
    expect(thinkingPieces({ type: 'thinking', thinking: '', signature: 's' }, 1)).toEqual([{ index: 1, thinking: '' }, { index: 1, signature: 's' }]);
    expect(thinkingPieces({ type: 'redacted_thinking', data: 'd' }, 0)).toEqual([{ index: 0, redacted: 'd' }]);
  });
});

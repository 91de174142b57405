import { childSpan, logFields, runInContext, setRequestId, traceIdOf } from './work-context.js';

const fixed = (n: number) => Buffer.alloc(n, 0xab);
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('work context', () => {
  it.each([
    [`00-${TRACE}-00f067aa0ba902b7-01`, TRACE],
    [`00-${TRACE.toUpperCase()}-00F067AA0BA902B7-01`, TRACE],
    [`00-${'0'.repeat(32)}-00f067aa0ba902b7-01`, undefined],
    [`00-${TRACE}-${'0'.repeat(16)}-01`, undefined],
    [`01-${TRACE}-00f067aa0ba902b7-01`, undefined],
    ['garbage', undefined],
    [undefined, undefined],
  ])('traceIdOf(%s) = %s', (tp, want) => {
    expect(traceIdOf(tp)).toBe(want);
  });

  it('continues a valid trace with a new span and keeps its flags', () => {
    expect(childSpan(`00-${TRACE}-00f067aa0ba902b7-00`, fixed)).toBe(`00-${TRACE}-abababababababab-00`);
  });

  it('starts a new sampled trace when the parent is missing or invalid', () => {
    expect(childSpan(undefined, fixed)).toBe(`00-${'ab'.repeat(16)}-abababababababab-01`);
    expect(childSpan('00-zz', fixed)).toBe(`00-${'ab'.repeat(16)}-abababababababab-01`);
  });

  it('gives log lines the request and trace ids of the work in hand, and nothing outside it', async () => {
    expect(logFields()).toEqual({});
    await runInContext({ traceparent: `00-${TRACE}-00f067aa0ba902b7-01` }, async () => {
      await Promise.resolve();
      setRequestId('rr_X');
      expect(logFields()).toEqual({ request_id: 'rr_X', trace_id: TRACE });
    });
    expect(logFields()).toEqual({});
  });
});

import { classify, parseRetryAfter, TIMEOUT } from './classify.js';

const h = (o: Record<string, string> = {}) => new Headers(o);
const now = Date.parse('2026-11-23T12:00:00Z');

describe('classify', () => {
  it.each([
    ['a network error', null, new TypeError('fetch failed'), true, 'upstream_unreachable', 502],
    ['the per-attempt timeout', null, TIMEOUT, true, 'upstream_timeout', 504],
    ['a TimeoutError', null, Object.assign(new Error('t'), { name: 'TimeoutError' }), true, 'upstream_timeout', 504],
    ['408', 408, null, true, 'upstream_timeout', 504],
    ['409', 409, null, true, 'upstream_conflict', 502],
    ['429', 429, null, true, 'upstream_rate_limited', 502],
    ['500', 500, null, true, 'upstream_error', 502],
    ['503', 503, null, true, 'upstream_error', 502],
    ['529 (Anthropic overloaded)', 529, null, true, 'upstream_overloaded', 502],
    ['a 200 we could not read', 200, new SyntaxError('bad json'), true, 'upstream_bad_response', 502],
    ['400', 400, null, false, 'upstream_rejected', 400],
    ['413', 413, null, false, 'upstream_rejected', 413],
    ['422', 422, null, false, 'upstream_rejected', 422],
    ['401 (our key, not the caller)', 401, null, false, 'upstream_auth_failed', 502],
    ['403', 403, null, false, 'upstream_auth_failed', 502],
    ['404 (a provider model name that does not exist)', 404, null, false, 'upstream_not_found', 502],
  ] as [string, number | null, unknown, boolean, string, number][])('%s', (_n, status, err, retryable, code, callerStatus) => {
    expect(classify(status, h(), err, now)).toEqual({ retryable, code, status: callerStatus, retryAfterMs: 0 });
  });

  it("carries the provider's retry-after", () => {
    expect(classify(429, h({ 'retry-after': '2' }), null, now)).toMatchObject({ retryable: true, retryAfterMs: 2000 });
    expect(classify(null, null, new TypeError('fetch failed'), now).retryAfterMs).toBe(0);
  });
});

describe('parseRetryAfter', () => {
  it.each([
    [{}, 0],
    [{ 'retry-after': '3' }, 3000],
    [{ 'retry-after': '0.25' }, 250],
    [{ 'retry-after': ' 7 ' }, 7000],
    [{ 'retry-after-ms': '1500.2' }, 1501],
    [{ 'retry-after-ms': '20', 'retry-after': '1' }, 20],
    [{ 'retry-after-ms': 'soon', 'retry-after': '1' }, 1000],
    [{ 'retry-after': 'Mon, 23 Nov 2026 12:00:05 GMT' }, 5000],
    [{ 'retry-after': 'Mon, 23 Nov 2026 11:59:00 GMT' }, 0],
    [{ 'retry-after': 'whenever' }, 0],
    [{ 'retry-after': '-4' }, 0],
  ] as [Record<string, string>, number][])('%j -> %d ms', (headers, want) => {
    expect(parseRetryAfter(h(headers), now)).toBe(want);
  });
});

import type { AttemptRecord, BreakerState } from '@reqrun/contracts';
import { route } from './router.js';

const t = (provider: string, weight = 1, fallback = false) => ({ provider, model: 'm', weight, fallback });
const failed = (provider: string, o: Partial<AttemptRecord> = {}): AttemptRecord => ({ attempt: 0, provider, provider_model: 'm', started_at: 0, outcome: 'failed', ...o });
const model = { targets: [t('a', 1), t('b', 3), t('c', 1, true), t('d', 1, true)] };
const now = 1000;

/** open: provider -> open_until; probing: provider -> probe_until of another attempt's probe (cool-down over). */
const sut = (o: { random?: number; history?: AttemptRecord[]; open?: Record<string, number>; probing?: Record<string, number> } = {}) => {
  const breaker = (p: string): BreakerState | undefined =>
    o.open?.[p] ? { failures: 5, open_until: o.open[p] } : o.probing?.[p] ? { failures: 5, open_until: now - 10, probe_until: o.probing[p] } : undefined;
  const r = route(model, { now, random: () => o.random ?? 0, history: o.history ?? [], breaker, maxWaitMs: 500, probeRecheckMs: 100 });
  return 'target' in r ? r.target.provider : r;
};

describe('route', () => {
  it.each([
    [0.0, 'a'], [0.24, 'a'], [0.25, 'b'], [0.99, 'b'],
  ])('with random %d picks %s among the primaries by weight 1:3, never a fallback', (random, want) => {
    expect(sut({ random })).toBe(want);
  });

  it.each([
    ['another primary after a primary failed', { history: [failed('a')] }, 'b'],
    ['the first fallback after every primary failed', { history: [failed('a'), failed('b')] }, 'c'],
    ['the next fallback after the first one failed too', { history: [failed('a'), failed('b'), failed('c')] }, 'd'],
    ['round again, from the target that failed longest ago', { history: [failed('b'), failed('a'), failed('c'), failed('d')] }, 'b'],
    ['around a primary whose breaker is open', { random: 0, open: { a: now + 1 } }, 'b'],
    ['the fallback while every primary is paused', { open: { a: now + 1, b: now + 5 } }, 'c'],
    ['a primary again once its cool-down has passed', { random: 0, open: { a: now } }, 'a'],
    ['around a primary whose half-open breaker is probed by another attempt', { random: 0, probing: { a: now + 1 } }, 'b'],
    ['the fallback while another attempt probes the one primary not open', { open: { a: now + 1 }, probing: { b: now + 5 } }, 'c'],
    ['a half-open primary with no live probe (the caller claims it)', { random: 0, probing: { a: now } }, 'a'],
    ['a paused-then-failed mix: the target not paused that failed longest ago', { history: [failed('c'), failed('d')], open: { a: now + 1, b: now + 1 } }, 'c'],
  ] as [string, Parameters<typeof sut>[0], string][])('picks %s', (_n, o, want) => {
    expect(sut(o)).toBe(want);
  });

  it('holds the attempt until the first target re-opens when every target is paused', () => {
    expect(sut({ open: { a: now + 50, b: now + 20, c: now + 90, d: now + 30 } })).toEqual({ holdMs: 20 });
  });

  it("holds behind another attempt's probe until its lease ends, looking again at least every probeRecheckMs", () => {
    expect(sut({ probing: { a: now + 40 }, open: { b: now + 90, c: now + 90, d: now + 90 } })).toEqual({ holdMs: 40 });
    expect(sut({ probing: { a: now + 5000 }, open: { b: now + 900, c: now + 900, d: now + 900 } })).toEqual({ holdMs: 100 });
  });

  it('uses fallbacks when they are all there is', () => {
    expect(route({ targets: [t('z', 1, true)] }, { now, random: () => 0.5, history: [], breaker: () => undefined, maxWaitMs: 0, probeRecheckMs: 100 })).toEqual({ target: t('z', 1, true) });
  });

  describe("a provider's retry-after", () => {
    const only = { targets: [t('a')] };
    const ctx = (history: AttemptRecord[]) => ({ now, random: () => 0, breaker: () => undefined, history, maxWaitMs: 500, probeRecheckMs: 100 });
    it.each([
      ['holds the retry on the same provider until it has passed', [failed('a', { ended_at: 900, retry_after_ms: 300 })], { holdMs: 200 }],
      ['caps the wait at maxWaitMs', [failed('a', { ended_at: 900, retry_after_ms: 60_000 })], { holdMs: 400 }],
      ['goes ahead once it has passed', [failed('a', { ended_at: 500, retry_after_ms: 300 })], { target: t('a') }],
      ['keeps the furthest of several asks', [failed('a', { ended_at: 990, retry_after_ms: 20 }), failed('a', { ended_at: 950, retry_after_ms: 100 })], { holdMs: 50 }],
    ] as [string, AttemptRecord[], object][])('%s', (_n, history, want) => {
      expect(route(only, ctx(history))).toEqual(want);
    });
    it('does not hold a retry that moves to another target', () => {
      expect(sut({ history: [failed('a', { ended_at: 990, retry_after_ms: 10_000 })] })).toBe('b');
    });
  });
});

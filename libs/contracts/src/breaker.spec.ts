import { breakerAfter, claimProbe, closedBreaker, isClosed, isHalfOpen, isOpen, isProbing, type BreakerState } from './breaker.js';

const p = { failures: 3, cooldown_ms: 1000 };
const fail = { ok: false as const, retryAfterMs: 0 };

describe('breakerAfter', () => {
  it.each([
    ['counts a failure', closedBreaker, fail, 10, { failures: 1, open_until: 0 }],
    ['opens at the threshold for the cool-down', { failures: 2, open_until: 0 }, fail, 10, { failures: 3, open_until: 1010 }],
    ["pauses for the provider's retry-after below the threshold", closedBreaker, { ok: false, retryAfterMs: 300 }, 10, { failures: 1, open_until: 310 }],
    ['caps that pause at the cool-down', closedBreaker, { ok: false, retryAfterMs: 5000 }, 10, { failures: 1, open_until: 1010 }],
    ['lets a later retry-after lengthen a pause', { failures: 1, open_until: 310 }, { ok: false, retryAfterMs: 600 }, 100, { failures: 2, open_until: 700 }],
    ['does not stretch an open breaker', { failures: 3, open_until: 1010 }, fail, 500, { failures: 4, open_until: 1010 }],
    ['re-opens on a failure when half-open', { failures: 3, open_until: 1010 }, fail, 1010, { failures: 4, open_until: 2010 }],
    ['closes on a success', { failures: 4, open_until: 1010 }, { ok: true }, 1500, closedBreaker],
    ["closes on the probe's success, ending its lease", { failures: 3, open_until: 1010, probe_until: 2100 }, { ok: true }, 1100, closedBreaker],
    ["re-opens for the cool-down on the probe's failure, ending its lease", { failures: 3, open_until: 1010, probe_until: 2100 }, fail, 1100, { failures: 4, open_until: 2100 }],
  ] as [string, BreakerState, Parameters<typeof breakerAfter>[1], number, BreakerState][])('%s', (_n, s, o, now, want) => {
    expect(breakerAfter(s, o, now, p)).toEqual(want);
  });

  it('returns the same state for a success on a closed breaker (nothing to write)', () => {
    const s = { failures: 0, open_until: 0 };
    expect(breakerAfter(s, { ok: true }, 1, p)).toBe(s);
  });

  it('is open only before open_until', () => {
    expect([isOpen({ failures: 3, open_until: 100 }, 99), isOpen({ failures: 3, open_until: 100 }, 100), isOpen(undefined, 0)]).toEqual([true, false, false]);
  });
});

describe('the half-open probe', () => {
  const halfOpen: BreakerState = { failures: 3, open_until: 1000 };

  it.each([
    ['closed (never failed)', undefined, 1000, { open: false, halfOpen: false, closed: true }],
    ['closed (below the threshold, a retry-after pause passed)', { failures: 1, open_until: 500 }, 1000, { open: false, halfOpen: false, closed: true }],
    ['open during the cool-down', halfOpen, 999, { open: true, halfOpen: false, closed: false }],
    ['half-open once the cool-down has passed', halfOpen, 1000, { open: false, halfOpen: true, closed: false }],
  ] as [string, BreakerState | undefined, number, object][])('tells %s', (_n, s, now, want) => {
    expect({ open: isOpen(s, now), halfOpen: isHalfOpen(s, now, p), closed: isClosed(s, now, p) }).toEqual(want);
  });

  it('is claimed by the first caller, for one cool-down', () => {
    expect(claimProbe(halfOpen, 1200, p)).toEqual({ failures: 3, open_until: 1000, probe_until: 2200 });
  });

  it('is refused to a second caller while the lease is live', () => {
    const claimed = claimProbe(halfOpen, 1200, p)!;
    expect([isProbing(claimed, 2199), claimProbe(claimed, 2199, p)]).toEqual([true, undefined]);
  });

  it('can be claimed again once a lease ran out without an outcome (its adapter died)', () => {
    const claimed = claimProbe(halfOpen, 1200, p)!;
    expect([isProbing(claimed, 2200), claimProbe(claimed, 2200, p)]).toEqual([false, { failures: 3, open_until: 1000, probe_until: 3200 }]);
  });

  it('is not there to claim while open or closed', () => {
    expect([claimProbe(halfOpen, 999, p), claimProbe(closedBreaker, 1200, p), claimProbe({ failures: 1, open_until: 500 }, 1200, p)]).toEqual([undefined, undefined, undefined]);
  });

  it('reads a state stored before probes existed (no probe_until) as having none', () => {
    expect(isProbing({ failures: 3, open_until: 1000 }, 1500)).toBe(false);
  });
});

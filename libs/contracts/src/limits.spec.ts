import { CALL_MARGIN_MS, emptyLimitState, isFresh, renew, reserve, settle, SKEW_MS, SLOTS, trim, type Ask, type LimitSpec, type LimitState } from './limits.js';

const ask = (id: string, o: Partial<Ask> = {}): Ask => ({ id, tokens: 0, leaseMs: 60_000, share: 1, ...o });

/** Reserves `n` asks at `now`, returning the state and how many were taken. */
function take(s: LimitState, spec: LimitSpec, n: number, now: number, o: Partial<Ask> = {}, prefix = 'r'): { state: LimitState; taken: number; waitMs?: number } {
  let taken = 0;
  let waitMs: number | undefined;
  for (let i = 0; i < n; i++) {
    const r = reserve(s, spec, ask(`${prefix}${now}-${i}`, o), now);
    if (r.ok) {
      s = r.state;
      taken++;
    } else waitMs = r.waitMs;
  }
  return { state: s, taken, waitMs };
}

describe('rpm: a sliding window that never lets more through than the limit', () => {
  const spec: LimitSpec = { rpm: 20, period_s: 1 };

  it('takes up to the limit, then says how long until the oldest slot leaves the window', () => {
    const sut = take(emptyLimitState(), spec, 25, 10_000);
    expect(sut.taken).toBe(20);
    // slot [10000, 10050) counts until its end plus the period plus the dispatch skew
    expect(sut.waitMs).toBe(1050 + SKEW_MS);
  });

  it('in every period (+ the dispatch skew) ending at a reservation, no more than the limit (a clock walked in 7 ms steps)', () => {
    let s = emptyLimitState();
    const at: number[] = [];
    for (let now = 0; now < 5000; now += 7) {
      const r = take(s, spec, 3, now);
      s = r.state;
      for (let i = 0; i < r.taken; i++) at.push(now);
    }
    for (const t of at) expect(at.filter((x) => x > t - 1000 - SKEW_MS && x <= t).length).toBeLessThanOrEqual(20);
    // and it is not needlessly strict: about `limit` per period + skew + a slot over the run
    expect(at.length).toBeGreaterThanOrEqual(Math.floor((5000 / (1000 + SKEW_MS + 1000 / SLOTS)) * 20));
  });

  it('a share keeps the rest of the limit for earlier windows', () => {
    expect(take(emptyLimitState(), spec, 25, 0, { share: 0.8 }).taken).toBe(16);
    expect(take(emptyLimitState(), spec, 25, 0, { share: 0.01 }).taken).toBe(1);
  });

  it('the state stays small: old slots are dropped', () => {
    let s = emptyLimitState();
    for (let now = 0; now < 60_000; now += 10) s = take(s, spec, 1, now).state;
    expect(s.slots.length).toBeLessThanOrEqual(SLOTS + 1 + Math.ceil(SKEW_MS / (1000 / SLOTS)));
  });
});

describe('tpm: tokens reserved before, reconciled after', () => {
  const spec: LimitSpec = { tpm: 1000, period_s: 60 };

  it('reserves the estimate, so concurrent asks cannot overshoot', () => {
    const sut = take(emptyLimitState(), spec, 50, 0, { tokens: 60 });
    expect(sut.taken).toBe(16); // 16 * 60 = 960; the 17th would be 1020
  });

  it('a refund after the real usage makes room at once', () => {
    const first = reserve(emptyLimitState(), spec, ask('a', { tokens: 900 }), 0);
    if (!first.ok) throw new Error('refused');
    expect(reserve(first.state, spec, ask('b', { tokens: 200 }), 1).ok).toBe(false);
    const settled = settle(first.state, spec, { id: 'a', slot: first.slot, requests: 0, tokens: 12 - 900 }, 2);
    expect(settled.slots[0][2]).toBe(12);
    expect(reserve(settled, spec, ask('b', { tokens: 200 }), 3).ok).toBe(true);
  });

  it('more usage than reserved is charged, and holds back the next ones', () => {
    const first = reserve(emptyLimitState(), spec, ask('a', { tokens: 100 }), 0);
    if (!first.ok) throw new Error('refused');
    const settled = settle(first.state, spec, { id: 'a', slot: first.slot, requests: 0, tokens: 850 }, 1);
    expect(reserve(settled, spec, ask('b', { tokens: 100 }), 2).ok).toBe(false);
  });

  it('an ask larger than the whole limit runs alone in an empty window rather than never', () => {
    expect(reserve(emptyLimitState(), spec, ask('big', { tokens: 5000 }), 0).ok).toBe(true);
  });
});

describe('concurrency: leases', () => {
  const spec: LimitSpec = { concurrency: 2 };

  it('holds at the limit until a lease is released', () => {
    const a = reserve(emptyLimitState(), spec, ask('a'), 0);
    if (!a.ok) throw new Error('refused');
    const b = reserve(a.state, spec, ask('b'), 0);
    if (!b.ok) throw new Error('refused');
    const c = reserve(b.state, spec, ask('c'), 0);
    expect(c).toEqual({ ok: false, waitMs: 250 });
    const released = settle(b.state, spec, { id: 'a', slot: a.slot, requests: 0, tokens: 0 }, 10);
    expect(reserve(released, spec, ask('c'), 10).ok).toBe(true);
  });

  it('a lease whose holder died expires by itself', () => {
    const a = reserve(emptyLimitState(), { concurrency: 1 }, ask('a', { leaseMs: 1000 }), 0);
    if (!a.ok) throw new Error('refused');
    expect(reserve(a.state, { concurrency: 1 }, ask('b'), 999).ok).toBe(false);
    // (leases are not rates: no skew)
    expect(reserve(a.state, { concurrency: 1 }, ask('b'), 1000).ok).toBe(true);
    expect(trim(a.state, { concurrency: 1 }, 1000).leases).toEqual({});
  });

  it('the same request asking again (a redelivery) does not take a second lease', () => {
    const a = reserve(emptyLimitState(), { concurrency: 1 }, ask('a'), 0);
    if (!a.ok) throw new Error('refused');
    expect(reserve(a.state, { concurrency: 1 }, ask('a'), 1).ok).toBe(true);
  });

  it('says whether a reservation took the lease: not when the attempt holds it already, nor without a concurrency limit', () => {
    const a = reserve(emptyLimitState(), { concurrency: 2 }, ask('a'), 0);
    if (!a.ok) throw new Error('refused');
    expect(a.leased).toBe(true);
    const again = reserve(a.state, { concurrency: 2 }, ask('a'), 1); // the same attempt, handled twice
    expect(again.ok && again.leased).toBe(false);
    expect(again.ok && Object.keys(again.state.leases)).toEqual(['a']);
    const unlimited = reserve(emptyLimitState(), { rpm: 10 }, ask('a'), 0);
    expect(unlimited.ok && unlimited.leased).toBe(false);
  });

  it('a settlement that keeps the lease reconciles the tokens and leaves the running call its lease', () => {
    const spec: LimitSpec = { concurrency: 1, tpm: 1000, period_s: 60 };
    const a = reserve(emptyLimitState(), spec, ask('a', { tokens: 300 }), 0);
    if (!a.ok) throw new Error('refused');
    const kept = settle(a.state, spec, { id: 'a', slot: a.slot, requests: 0, tokens: -300, keepLease: true }, 1);
    expect(kept.leases).toEqual(a.state.leases);
    expect(kept.slots).toEqual([[a.slot, 1, 0]]);
    expect(reserve(kept, spec, ask('b'), 2).ok).toBe(false);
    // the call's own settlement releases it
    const released = settle(kept, spec, { id: 'a', slot: a.slot, requests: 0, tokens: 0 }, 3);
    expect(released.leases).toEqual({});
    expect(reserve(released, spec, ask('b'), 4).ok).toBe(true);
  });

  it('undoing a reservation gives the request back to the window', () => {
    const a = reserve(emptyLimitState(), { rpm: 1, period_s: 60 }, ask('a'), 0);
    if (!a.ok) throw new Error('refused');
    const undone = settle(a.state, { rpm: 1, period_s: 60 }, { id: 'a', slot: a.slot, requests: -1, tokens: 0 }, 1);
    expect(reserve(undone, { rpm: 1, period_s: 60 }, ask('b'), 2).ok).toBe(true);
  });
});

describe('calls that come late: a reservation covers a call only while fresh, then it is renewed', () => {
  const spec: LimitSpec = { rpm: 20, period_s: 1 };

  it('fresh up to the slot, the skew and no more than the call margin; concurrency alone never goes stale', () => {
    expect(isFresh(spec, 1000, 1000 + 50 + SKEW_MS - CALL_MARGIN_MS)).toBe(true);
    expect(isFresh(spec, 1000, 1001 + 50 + SKEW_MS - CALL_MARGIN_MS)).toBe(false);
    expect(isFresh({ concurrency: 1 }, 0, 3_600_000)).toBe(true);
  });

  it('renewing undoes the old reservation and takes one now, in one change; refused, nothing moves', () => {
    const full = take(emptyLimitState(), spec, 20, 0).state;
    const moved = renew(full, spec, { slot: 0, tokens: 0 }, ask('r0-0'), 400);
    if (!moved.ok) throw new Error('refused');
    expect(moved.slot).toBe(400);
    expect(moved.state.slots).toEqual([[0, 19, 0], [400, 1, 0]]);
    // the window is still full at 400: a new request is refused
    expect(reserve(moved.state, spec, ask('new'), 400).ok).toBe(false);
  });

  it('renewing keeps the request its lease, in the same change: a copy of a running attempt that renews takes no second one', () => {
    const spec: LimitSpec = { rpm: 20, period_s: 1, concurrency: 1 };
    const a = reserve(emptyLimitState(), spec, ask('a'), 0);
    if (!a.ok) throw new Error('refused');
    const moved = renew(a.state, spec, { slot: a.slot, tokens: 0 }, ask('a'), 2000);
    if (!moved.ok) throw new Error('refused');
    expect(Object.keys(moved.state.leases)).toEqual(['a']);
    expect(reserve(moved.state, spec, ask('b'), 2001).ok).toBe(false);
  });

  it('dispatches held back (an adapter frozen for 2.5 s) and then taken together still make at most the limit of calls in any second', () => {
    // The scheduler reserves as fast as the limit allows; the adapters take nothing for the first 2.5 s, then take
    // what waited and what comes, each after 0–300 ms (a seeded spread); a stale reservation is renewed, waiting
    // while the limit is full. The provider sees each call up to CALL_MARGIN_MS after the adapter's check.
    let seed = 7;
    const rand = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    let s = emptyLimitState();
    const dispatched: { id: string; slot: number; arrives: number }[] = [];
    for (let now = 0; now < 6000; now += 10) {
      const r = reserve(s, spec, ask(`d${now}`), now);
      if (!r.ok) continue;
      s = r.state;
      dispatched.push({ id: `d${now}`, slot: r.slot, arrives: Math.max(now, 2500) + Math.floor(rand() * 300) });
    }
    // the adapters' checks, in time order: a refused renewal looks again when the limits say
    const calls: number[] = [];
    const waiting = dispatched.map((d) => ({ ...d, at: d.arrives }));
    while (waiting.length > 0) {
      waiting.sort((a, b) => a.at - b.at);
      const d = waiting[0];
      if (isFresh(spec, d.slot, d.at)) {
        calls.push(d.at + Math.floor(rand() * (CALL_MARGIN_MS + 1))); // the provider sees it within the margin
        waiting.shift();
        continue;
      }
      const r = renew(s, spec, { slot: d.slot, tokens: 0 }, ask(d.id), d.at);
      if (r.ok) {
        s = r.state;
        d.slot = r.slot;
      } else d.at += r.waitMs;
    }
    expect(calls.length).toBe(dispatched.length);
    for (const t of calls) expect(calls.filter((x) => x >= t && x < t + 1000).length).toBeLessThanOrEqual(20);
    // without the renewal the same arrivals put more than the limit in one second (the check above can fail)
    const unpaced = dispatched.map((d) => d.arrives);
    expect(Math.max(...unpaced.map((t) => unpaced.filter((x) => x >= t && x < t + 1000).length))).toBeGreaterThan(20);
  });
});

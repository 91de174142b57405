import { admit, deferFor, type WindowPolicy } from './schedule.js';

const standard: WindowPolicy = { target_s: 300, expire_s: 600, promote_s: 30, share: 0.8 };
const batch: WindowPolicy = { target_s: 86_400, expire_s: 172_800, promote_s: 8640, share: 0.5 };
const asap: WindowPolicy = { target_s: 0, expire_s: 3600, promote_s: 0, share: 1 };
const s = 1000;

describe('admit: what a first attempt may do, by its window', () => {
  it.each([
    ['asap at once: whole limits, fast lane', 'asap', asap, 0, { kind: 'go', share: 1, lane: 'fast', promoted: true }],
    ['standard early: its share, background lane', 'standard', standard, 10 * s, { kind: 'go', share: 0.8, lane: 'bg', promoted: false }],
    ['standard promoted before its target', 'standard', standard, 270 * s, { kind: 'go', share: 1, lane: 'fast', promoted: true }],
    ['standard past its target, not yet expired: still promoted', 'standard', standard, 400 * s, { kind: 'go', share: 1, lane: 'fast', promoted: true }],
    ['standard at its hard expiry', 'standard', standard, 600 * s, { kind: 'expire' }],
    ['batch early: half the limits', 'batch', batch, 3600 * s, { kind: 'go', share: 0.5, lane: 'bg', promoted: false }],
    ['asap not started in its hour', 'asap', asap, 3600 * s, { kind: 'expire' }],
  ] as const)('%s', (_name, window, w, age, want) => {
    expect(admit(window, 1_000_000, 1_000_000 + age, w, true)).toMatchObject(want);
  });

  it('a window with no share of limited targets waits for its promotion', () => {
    expect(admit('standard', 0, 1000, { ...standard, share: 0 }, true)).toEqual({ kind: 'hold', untilMs: 270 * s });
    expect(admit('standard', 0, 1000, { ...standard, share: 0 }, false)).toMatchObject({ kind: 'go' });
  });

  it('earliest deadline first: of two standard requests, the older is promoted first', () => {
    const now = 280 * s;
    expect(admit('standard', 0, now, standard, true)).toMatchObject({ promoted: true });
    expect(admit('standard', 20 * s, now, standard, true)).toMatchObject({ promoted: false });
  });
});

describe('deferFor: a refused request is looked at again no later than its promotion or expiry', () => {
  it.each([
    ['the limit frees first', 500, 0, false, 500],
    ['promotion comes first', 60_000, 260 * s, false, 10 * s],
    ['promoted: only the expiry bounds it', 400 * s, 280 * s, true, 320 * s],
  ] as const)('%s', (_n, waitMs, now, promoted, want) => {
    expect(deferFor(waitMs, now, 0, standard, promoted)).toBe(want);
  });
});

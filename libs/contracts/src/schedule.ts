import type { Window } from './request-state.js';

/**
 * When a queued request may start, by its completion window. Pure: time comes in as `now`.
 *
 * A request's deadline is its acceptance plus its window's target. Windows are pulled by separate consumers, so
 * asap never waits behind standard or batch; within a window the queue is in acceptance order, which is deadline
 * order. Rate limits are shared: a request that is not promoted may use only its window's `share` of any limit,
 * so the rest stays free for the windows before it (asap 1, standard 0.8, batch 0.5 by default). `promote_s`
 * before its deadline a request is promoted: the whole limit, and the fast dispatch lane. Not started by
 * `expire_s` after acceptance: expired.
 */
export interface WindowPolicy {
  target_s: number;
  expire_s: number;
  promote_s: number;
  share: number;
}

/** `fast`: asap, promoted requests and retries (the adapters' asap lane); `bg`: the rest. */
export type Lane = 'fast' | 'bg';

export type Admission =
  | { kind: 'expire' }
  /** Not yet: this window may use none of a limited target before it is promoted. */
  | { kind: 'hold'; untilMs: number }
  | { kind: 'go'; share: number; lane: Lane; promoted: boolean; expiresAt: number };

export const deadlineOf = (createdAt: number, w: WindowPolicy): number => createdAt + w.target_s * 1000;
export const expiresAtOf = (createdAt: number, w: WindowPolicy): number => createdAt + w.expire_s * 1000;
export const promoteAtOf = (createdAt: number, w: WindowPolicy): number => deadlineOf(createdAt, w) - w.promote_s * 1000;

/** What the scheduler may do with a queued request's first attempt now. `limited`: its tenant or target has a rate limit. */
export function admit(window: Window, createdAt: number, now: number, w: WindowPolicy, limited: boolean): Admission {
  const expiresAt = expiresAtOf(createdAt, w);
  if (now >= expiresAt) return { kind: 'expire' };
  const promoted = window === 'asap' || now >= promoteAtOf(createdAt, w);
  const share = promoted ? 1 : w.share;
  if (limited && share <= 0) return { kind: 'hold', untilMs: Math.min(promoteAtOf(createdAt, w), expiresAt) };
  return { kind: 'go', share, lane: promoted ? 'fast' : 'bg', promoted, expiresAt };
}

/** How long to defer a request the limits refused for `waitMs`: never past its promotion point or its expiry (it is looked at again then). */
export function deferFor(waitMs: number, now: number, createdAt: number, w: WindowPolicy, promoted: boolean): number {
  const marks = [expiresAtOf(createdAt, w), ...(promoted ? [] : [promoteAtOf(createdAt, w)])].filter((t) => t > now);
  return Math.max(1, Math.min(waitMs, ...marks.map((t) => t - now)));
}

import { decide, isTerminal, maxRecordWrites, Status, type RequestRecord, type RequestEvent } from './request-state.js';

const base: RequestRecord = {
  id: 'rr_01J00000000000000000000000', tenant: 't', api: 'chat', model: 'm', window: 'asap',
  status: Status.Queued, body: {}, created_at: 0, updated_at: 0, attempts: 0, history: [],
};
const err = { code: 'x', message: 'boom', status: 502, retryable: true };
const start = (attempt: number): RequestEvent => ({ type: 'start', attempt, provider: 'mock', provider_model: 'm' });

describe('decide', () => {
  it('starts a queued request and opens an attempt', () => {
    const sut = decide(base, start(1), 10)!;
    expect(sut).toMatchObject({ status: 'in_progress', attempts: 1, started_at: 10 });
    expect(sut.history).toEqual([{ attempt: 1, provider: 'mock', provider_model: 'm', started_at: 10, outcome: 'running' }]);
  });

  it.each([
    ['a wrong attempt number', { ...base }, start(2)],
    ['an already running request', { ...base, status: Status.InProgress, attempts: 1 }, start(1)],
    ['a cancelled request', { ...base, status: Status.Cancelled }, start(1)],
    ['success for a stale attempt', { ...base, status: Status.InProgress, attempts: 2 }, { type: 'succeed', attempt: 1, result: {}, usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2 } }],
    ['failure of a queued request', base, { type: 'fail', attempt: 0, error: err, retry_in_ms: 1 }],
    ['cancel of a completed request', { ...base, status: Status.Completed }, { type: 'cancel' }],
    ['expiry of a running request', { ...base, status: Status.InProgress, attempts: 1 }, { type: 'expire' }],
  ] as [string, RequestRecord, RequestEvent][])('refuses %s', (_name, r, ev) => {
    expect(decide(r, ev, 1)).toBeNull();
  });

  it('completes the running attempt with result and usage', () => {
    const running = decide(base, start(1), 10)!;
    const usage = { input_tokens: 3, output_tokens: 4, total_tokens: 7 };
    const sut = decide(running, { type: 'succeed', attempt: 1, result: { ok: 1 }, usage }, 25)!;
    expect(sut).toMatchObject({ status: 'completed', result: { ok: 1 }, usage, ended_at: 25 });
    expect(sut.history[0]).toMatchObject({ outcome: 'completed', ended_at: 25, latency_ms: 15 });
  });

  it('re-queues a retryable failure with a not-before time and keeps the error', () => {
    const running = decide(base, start(1), 10)!;
    const sut = decide(running, { type: 'fail', attempt: 1, error: err, retry_in_ms: 500 }, 20)!;
    expect(sut).toMatchObject({ status: 'queued', attempts: 1, not_before: 520, error: err });
    expect(sut.history[0]).toMatchObject({ outcome: 'failed', error: err });
    expect(decide(sut, start(2), 600)).toMatchObject({ status: 'in_progress', attempts: 2, not_before: undefined });
  });

  it("records the provider call's status code and its own latency on the attempt", () => {
    const running = decide(base, start(1), 10)!;
    const sut = decide(running, { type: 'fail', attempt: 1, error: err, retry_in_ms: 5, call: { status_code: 429, latency_ms: 3 } }, 20)!;
    expect(sut.history[0]).toMatchObject({ outcome: 'failed', status_code: 429, latency_ms: 3, ended_at: 20 });
  });

  it('fails for good when no retry is left', () => {
    const running = decide(base, start(1), 10)!;
    expect(decide(running, { type: 'fail', attempt: 1, error: err, retry_in_ms: null }, 20)).toMatchObject({ status: 'failed', error: err, ended_at: 20 });
  });

  it('cancels queued and running requests, closing the running attempt', () => {
    expect(decide(base, { type: 'cancel' }, 5)).toMatchObject({ status: 'cancelled', ended_at: 5 });
    const running = decide(base, start(1), 10)!;
    expect(decide(running, { type: 'cancel' }, 12)!.history[0]).toMatchObject({ outcome: 'cancelled' });
  });

  it('expires only queued requests, with an error saying so', () => {
    expect(decide(base, { type: 'expire' }, 5)).toMatchObject({ status: 'expired', error: { code: 'request_expired' } });
  });
});

describe('maxRecordWrites', () => {
  /** The longest run of changes decide allows from a new record, trying every event at every step (retries only while attempts are left, as the adapters do). */
  function longestLife(r: RequestRecord, maxAttempts: number): number {
    if (isTerminal(r.status)) return 0;
    const usage = { input_tokens: 1, output_tokens: 1, total_tokens: 2 };
    const events: RequestEvent[] = [
      ...(r.attempts < maxAttempts ? [start(r.attempts + 1)] : []),
      { type: 'succeed', attempt: r.attempts, result: {}, usage },
      { type: 'fail', attempt: r.attempts, error: err, retry_in_ms: r.attempts < maxAttempts ? 1 : null },
      { type: 'reject', error: err },
      { type: 'cancel' },
      { type: 'expire' },
    ];
    let longest = 0;
    for (const ev of events) {
      const next = decide(r, ev, 1);
      if (next) longest = Math.max(longest, 1 + longestLife(next, maxAttempts));
    }
    return longest;
  }

  it.each([1, 2, 5])('covers every write a record can get with %i attempts (its creation included)', (maxAttempts) => {
    expect(1 + longestLife(base, maxAttempts)).toBe(maxRecordWrites(maxAttempts));
  });
});

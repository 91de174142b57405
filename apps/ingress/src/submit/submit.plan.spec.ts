import { planSubmit, parsePrefer } from './submit.plan.js';

const w = { default_s: 30, max_s: 120, sync_s: 600 };
const body = { model: 'm', messages: [] };
const plan = (extra: Record<string, unknown>, h = {}) => planSubmit('t', 'chat', { ...body, ...extra }, h, w);

describe('planSubmit', () => {
  it.each([
    ['no wait field: synchronous, long timeout, asap', {}, {}, 600_000, 'asap'],
    ['wait: true: the server default', { wait: true }, {}, 30_000, 'asap'],
    ['wait_timeout in the body', { wait: true, wait_timeout: 2.5 }, {}, 2_500, 'asap'],
    ['wait_timeout capped by config', { wait: true, wait_timeout: 999 }, {}, 120_000, 'asap'],
    ['Prefer: wait=N', {}, { prefer: 'wait=7' }, 7_000, 'asap'],
    ['wait: false: at once, standard window', { wait: false }, {}, 0, 'standard'],
    ['Prefer: respond-async', {}, { prefer: 'respond-async' }, 0, 'standard'],
    ['the body wins over Prefer', { wait: true }, { prefer: 'respond-async' }, 30_000, 'asap'],
    ['window alias now', { wait: false, completion_window: 'now' }, {}, 0, 'asap'],
    ['window in metadata', { metadata: { completion_window: 'batch' } }, {}, 600_000, 'batch'],
  ])('%s', (_n, extra, h, waitMs, window) => {
    expect(plan(extra, h)).toMatchObject({ waitMs, window });
  });

  it.each([
    ['no wait field: at once, standard window', {}, {}, 0, 'standard'],
    ['wait: true still waits', { wait: true }, {}, 30_000, 'asap'],
    ['wait_timeout still waits', { wait_timeout: 2 }, {}, 2_000, 'asap'],
    ['Prefer: wait=N still waits', {}, { prefer: 'wait=3' }, 3_000, 'asap'],
  ])('async by default (Responses background: true): %s', (_n, extra, h, waitMs, window) => {
    expect(planSubmit('t', 'responses', { ...body, ...extra }, h, w, { asyncByDefault: true })).toMatchObject({ waitMs, window });
  });

  it.each([
    ['nothing else: asap, nothing waits', {}, {}, 'asap'],
    ['wait: true: the stream is the wait', { wait: true, wait_timeout: 5 }, {}, 'asap'],
    ['an asked window is kept', { completion_window: 'standard' }, {}, 'standard'],
  ])('streaming: %s; stream and stream_options stay in the stored body', (_n, extra, h, window) => {
    const sut = planSubmit('t', 'chat', { ...body, stream: true, stream_options: { include_usage: true }, ...extra }, h, w, { streaming: true });
    expect(sut).toMatchObject({ waitMs: 0, window, body: { stream: true, stream_options: { include_usage: true } } });
  });

  it.each([
    ['wait: false', { wait: false }, {}],
    ['Prefer: respond-async', {}, { prefer: 'respond-async' }],
  ])('streaming refuses %s: nobody would read the stream', (_n, extra, h) => {
    expect(() => planSubmit('t', 'chat', { ...body, stream: true, ...extra }, h, w, { streaming: true })).toThrow(/cannot be combined with wait: false/);
  });

  it('strips the extensions from the stored body and keeps everything else', () => {
    const sut = plan({ wait: true, wait_timeout: 1, idempotency_key: 'k', completion_window: 'asap', temperature: 0.1, seed: 4 });
    expect(sut.body).toEqual({ ...body, temperature: 0.1, seed: 4 });
    expect(sut.idempotencyKey).toBe('k');
  });

  it.each([
    ['an unknown window', { completion_window: 'later' }, {}, /Invalid completion_window 'later'/],
    ['a non-string window', { completion_window: 5 }, {}, /Invalid completion_window/],
    ['differing keys', { idempotency_key: 'a' }, { idempotencyKey: 'b' }, /differ/],
    ['an empty header key', {}, { idempotencyKey: '""' }, /1 to 255/],
  ])('refuses %s', (_n, extra, h, msg) => {
    expect(() => plan(extra, h)).toThrow(msg);
  });

  it('accepts a quoted Idempotency-Key header', () => {
    expect(plan({}, { idempotencyKey: '"abc"' }).idempotencyKey).toBe('abc');
  });
});

describe('parsePrefer', () => {
  it('reads respond-async and wait, ignoring the rest', () => {
    expect(parsePrefer('respond-async, wait=10, handling=lenient')).toEqual({ respondAsync: true, waitS: 10 });
    expect(parsePrefer('wait=abc')).toEqual({ respondAsync: false });
    expect(parsePrefer(undefined)).toEqual({ respondAsync: false });
  });
});

import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { names, SKEW_MS, systemClock, type HeldLimit, type LimitSpec } from '@reqrun/contracts';
import { ensureLayout, type Buckets } from '@reqrun/messaging';
import { LimitStore } from '@reqrun/store';
import { startNats, type NatsServer } from '@reqrun/testing';
import { register } from 'prom-client';
import { CallPacer } from './call.pacer.js';

/** The pacer against a real NATS KV: what it renews, when it waits, and that it stops when told. */
let nats: NatsServer;
let nc: NatsConnection;
let buckets: Buckets;
let limits: LimitStore;
let sut: CallPacer;
const never = new AbortController().signal;
const requestsIn = async (scope: string) => (await limits.read(scope)).slots.reduce((n, s) => n + s[1], 0);

beforeAll(async () => {
  nats = await startNats();
  nc = await connect({ servers: nats.url });
  buckets = await ensureLayout(nc, names('p'), { replicas: 1, idempotencyTtlMs: 60_000, eventsMaxAgeMs: 60_000, chunksMaxAgeMs: 3_600_000 });
  limits = new LimitStore(buckets.limits, systemClock);
  sut = new CallPacer(limits, systemClock);
});
afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

/** Reserves for `id` now and returns what the scheduler would put on the dispatch. */
async function held(scope: string, spec: LimitSpec, id: string, tokens = 0): Promise<HeldLimit> {
  const r = await limits.reserve(scope, spec, { id, tokens, leaseMs: 60_000, share: 1 });
  if (!r.ok) throw new Error('refused');
  return { scope, spec, slot: r.slot, tokens };
}

describe('CallPacer', () => {
  it('a fresh reservation is called on as it is', async () => {
    const h = await held('provider.fresh', { rpm: 100, period_s: 60 }, 'a');
    expect(await sut.pace('a', [h], 60_000, never)).toEqual([h]);
    expect(await requestsIn('provider.fresh')).toBe(1);
  });

  it('a stale one moves to now: undone in its old slot, counted in a new one', async () => {
    const spec = { rpm: 100, period_s: 60 };
    const back = new LimitStore(buckets.limits, { now: () => Date.now() - 10_000 }); // dispatched 10 s ago
    const r = await back.reserve('provider.stale', spec, { id: 'b', tokens: 40, leaseMs: 60_000, share: 1 });
    if (!r.ok) throw new Error('refused');
    const h: HeldLimit = { scope: 'provider.stale', spec, slot: r.slot, tokens: 40 };
    const before = Date.now();
    const [moved] = (await sut.pace('b', [h], 60_000, never))!;
    expect(moved).toMatchObject({ scope: 'provider.stale', tokens: 40 });
    expect(moved.slot).toBeGreaterThan(before - 60_000 / 20);
    const slots = (await limits.read('provider.stale')).slots;
    expect(slots).toEqual([[h.slot, 0, 0], [moved.slot, 1, 40]]);
  });

  it('while the limit is full the call waits, then goes on a reservation inside the limit', async () => {
    const spec = { rpm: 2, period_s: 0.2 };
    const stale = { scope: 'provider.full', spec, slot: Date.now() - 5_000, tokens: 0 }; // long out of the window
    const other = await held('provider.full', spec, 'other1');
    await held('provider.full', spec, 'other2'); // the window is full now
    const [moved] = (await sut.pace('c', [stale], 60_000, never))!;
    // counted only once the two others left the window: their slot, plus the period and the skew
    expect(moved.slot).toBeGreaterThanOrEqual(other.slot + 200 + SKEW_MS);
    expect(await requestsIn('provider.full')).toBeLessThanOrEqual(2);
    // counted for operators: a renewal that waited for room
    expect(await register.getSingleMetricAsString('reqrun_limit_renewals_total')).toContain('reqrun_limit_renewals_total{scope="provider.full",waited="true"} 1');
  });

  it('stops waiting when the consumer stops: nothing to call on', async () => {
    const spec = { rpm: 1, period_s: 60 };
    await held('provider.stop', spec, 'x');
    const stale = { scope: 'provider.stop', spec, slot: Date.now() - 120_000, tokens: 0 };
    const stop = new AbortController();
    const paced = sut.pace('d', [stale], 60_000, stop.signal);
    setTimeout(() => stop.abort(), 50);
    expect(await paced).toBeNull();
  });
});

import type { NatsConnection } from '@nats-io/nats-core';
import type { Buckets } from '@reqrun/messaging';
import { startLayout, stopLayout, type NatsServer } from '@reqrun/testing';
import { BreakerStore } from './breaker.store.js';

let nats: NatsServer;
let nc: NatsConnection;
let buckets: Buckets;
let now = 1000;
const clock = { now: () => now };
const policy = { failures: 3, cooldown_ms: 500 };
const fail = { ok: false as const, retryAfterMs: 0 };

beforeAll(async () => ({ nats, nc, buckets } = await startLayout('b')));
afterAll(() => stopLayout(nc, nats));

const until = async (ok: () => boolean) => {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(ok()).toBe(true);
};

describe('BreakerStore', () => {
  it('counts failures from racing reporters exactly (compare-and-set) and opens at the threshold', async () => {
    const reporters = [new BreakerStore(buckets.breakers, clock, policy), new BreakerStore(buckets.breakers, clock, policy)];
    await Promise.all([reporters[0].report('p1', fail), reporters[1].report('p1', fail)]);
    const third = await reporters[0].report('p1', fail);
    expect(third).toEqual({ failures: 3, open_until: 1500 });
  });

  it('shows another process the state through its watch, and a success closes it', async () => {
    const reader = new BreakerStore(buckets.breakers, clock, policy);
    const writer = new BreakerStore(buckets.breakers, clock, policy);
    await reader.start();
    try {
      for (let i = 0; i < 3; i++) await writer.report('p2', fail);
      await until(() => reader.state('p2')?.open_until === 1500);
      expect(await writer.report('p2', { ok: true })).toEqual({ failures: 0, open_until: 0 });
      await until(() => reader.state('p2')?.failures === 0);
    } finally {
      await reader.stop();
    }
  });

  it('writes nothing for a success on a breaker that never failed', async () => {
    const sut = new BreakerStore(buckets.breakers, clock, policy);
    await sut.report('p3', { ok: true });
    expect(await buckets.breakers.get('p3')).toBeNull();
  });

  describe('the half-open probe', () => {
    let t = 1200;
    const at = { now: () => t };
    const halfOpen = async (key: string) => {
      t = 1200;
      await buckets.breakers.put(key, JSON.stringify({ failures: 3, open_until: 1000 }));
    };
    const stored = async (key: string) => (await buckets.breakers.get(key))?.json();

    it('goes to exactly one of the callers racing for it across processes (compare-and-set) and within one', async () => {
      await halfOpen('p4');
      const processes = Array.from({ length: 4 }, () => new BreakerStore(buckets.breakers, at, policy));
      const won = await Promise.all(processes.flatMap((s) => [s.claimProbe('p4'), s.claimProbe('p4'), s.claimProbe('p4')]));
      expect(won.filter(Boolean)).toHaveLength(1);
      expect(await stored('p4')).toEqual({ failures: 3, open_until: 1000, probe_until: 1700 });
    });

    it("is refused while the lease is live, claimed again once it ran out without an outcome, and the probe's failure re-opens the breaker", async () => {
      await halfOpen('p5');
      const [a, b] = [new BreakerStore(buckets.breakers, at, policy), new BreakerStore(buckets.breakers, at, policy)];
      expect(await a.claimProbe('p5')).toBe(true);
      t = 1699;
      expect(await b.claimProbe('p5')).toBe(false);
      expect(b.halfOpen('p5')).toBe(true); // the refused claim refreshed b's copy
      t = 1700;
      expect(await b.claimProbe('p5')).toBe(true);
      expect(await stored('p5')).toEqual({ failures: 3, open_until: 1000, probe_until: 2200 });
      expect(await b.report('p5', fail)).toEqual({ failures: 4, open_until: 2200 });
      expect(await a.claimProbe('p5')).toBe(false);
    });

    it('gives a probe back when its attempt did not go, unless its outcome or another claim came first', async () => {
      await halfOpen('p7');
      const [a, b] = [new BreakerStore(buckets.breakers, at, policy), new BreakerStore(buckets.breakers, at, policy)];
      expect(await a.claimProbe('p7')).toBe(true);
      await a.releaseProbe('p7');
      expect(await stored('p7')).toEqual({ failures: 3, open_until: 1000 });
      expect(await b.claimProbe('p7')).toBe(true); // at once, not a lease later
      await a.releaseProbe('p7'); // a's probe was given back already: b's stays
      expect(await stored('p7')).toEqual({ failures: 3, open_until: 1000, probe_until: 1700 });
      await b.report('p7', { ok: true });
      const revision = (await buckets.breakers.get('p7'))!.revision;
      await b.releaseProbe('p7'); // after the outcome: nothing to give back
      expect((await buckets.breakers.get('p7'))!.revision).toBe(revision);
    });

    it("lets everyone through, writing nothing, once the probe's success has closed the breaker", async () => {
      await halfOpen('p6');
      const [a, b] = [new BreakerStore(buckets.breakers, at, policy), new BreakerStore(buckets.breakers, at, policy)];
      expect(await a.claimProbe('p6')).toBe(true);
      await a.report('p6', { ok: true });
      const revision = (await buckets.breakers.get('p6'))!.revision;
      expect(await Promise.all([b.claimProbe('p6'), b.claimProbe('p6')])).toEqual([true, true]);
      expect((await buckets.breakers.get('p6'))!.revision).toBe(revision);
      expect(b.halfOpen('p6')).toBe(false);
    });
  });
});

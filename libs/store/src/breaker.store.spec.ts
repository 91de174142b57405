import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { names } from '@reqrun/contracts';
import { ensureLayout, type Buckets } from '@reqrun/messaging';
import { startNats, type NatsServer } from '@reqrun/testing';
import { BreakerStore } from './breaker.store.js';

let nats: NatsServer;
let nc: NatsConnection;
let buckets: Buckets;
let now = 1000;
const clock = { now: () => now };
const policy = { failures: 3, cooldown_ms: 500 };
const fail = { ok: false as const, retryAfterMs: 0 };

beforeAll(async () => {
  nats = await startNats();
  nc = await connect({ servers: nats.url });
  buckets = await ensureLayout(nc, names('b'), { replicas: 1, idempotencyTtlMs: 60_000, eventsMaxAgeMs: 60_000, chunksMaxAgeMs: 3_600_000 });
});
afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

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
});

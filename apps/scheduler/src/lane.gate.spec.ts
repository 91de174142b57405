import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { names } from '@reqrun/contracts';
import { ensureLayout } from '@reqrun/messaging';
import { startNats, type NatsServer } from '@reqrun/testing';
import { register } from 'prom-client';
import { LaneGate } from './lane.gate.js';

let nats: NatsServer;
let nc: NatsConnection;
const n = names('g');

const counted = async (name: string, provider: string) =>
  (await register.getSingleMetric(name)!.get()).values.find((v) => v.labels.provider === provider)?.value ?? 0;

beforeAll(async () => {
  nats = await startNats();
  nc = await connect({ servers: nats.url });
  await ensureLayout(nc, n, { replicas: 1, idempotencyTtlMs: 60_000, eventsMaxAgeMs: 60_000, chunksMaxAgeMs: 3_600_000 });
  // the adapters' bg consumer for provider "p", with 3 attempts waiting in its lane
  await (await jetstreamManager(nc)).consumers.add(n.dispatchStream, { durable_name: n.adapterConsumer('p', 'bg'), filter_subject: n.dispatch('p', 'bg'), ack_policy: AckPolicy.Explicit });
  for (let i = 0; i < 3; i++) await jetstream(nc).publish(n.dispatch('p', 'bg'), '{}');
});
afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

describe('LaneGate', () => {
  it('lets an attempt in at once while the lane holds fewer than its cap, and counts no wait', async () => {
    const sut = new LaneGate(nc, n, 4, 10);
    expect(await sut.room('p', Date.now() + 5_000)).toBe(true);
    expect(await counted('reqrun_scheduler_lane_waits_total', 'p')).toBe(0);
  });

  it('holds an attempt while the lane is full until its deadline, and counts the wait', async () => {
    const sut = new LaneGate(nc, n, 3, 10);
    expect(await sut.room('p', Date.now() + 200)).toBe(false);
    expect(await counted('reqrun_scheduler_lane_waits_total', 'p')).toBe(1);
    expect(await counted('reqrun_scheduler_lane_wait_seconds_total', 'p')).toBeGreaterThan(0);
  });

  it('lets a held attempt in once the adapters take from the lane', async () => {
    const sut = new LaneGate(nc, n, 3, 10);
    const waiting = sut.room('p', Date.now() + 10_000);
    const m = await (await jetstream(nc).consumers.get(n.dispatchStream, n.adapterConsumer('p', 'bg'))).next();
    await m!.ackAck();
    expect(await waiting).toBe(true);
  });

  it('gives up at once when the scheduler is stopping', async () => {
    const stop = new AbortController();
    stop.abort();
    expect(await new LaneGate(nc, n, 2, 10).room('p', Date.now() + 10_000, stop.signal)).toBe(false);
  });
});

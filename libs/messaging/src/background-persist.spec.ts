import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { startNats, type NatsServer } from '@reqrun/testing';
import { BackgroundPersister } from './background-persist.js';

let nats: NatsServer;
let nc: NatsConnection;
let jsm: JetStreamManager;
const lost: string[] = [];
const stored = async (stream: string) => (await jsm.streams.info(stream)).state.messages;
const settled = async (p: BackgroundPersister, ms = 10_000) => {
  for (const until = Date.now() + ms; p.pending > 0 && Date.now() < until;) await new Promise((r) => setTimeout(r, 20));
};

beforeAll(async () => {
  nats = await startNats();
  nc = await connect({ servers: nats.url });
  jsm = await jetstreamManager(nc);
});
afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});
beforeEach(() => void (lost.length = 0));

describe('BackgroundPersister', () => {
  it('stores every message once, and settles when the stream has acknowledged them all', async () => {
    await jsm.streams.add({ name: 'BP1', subjects: ['bp1.>'] });
    const p = new BackgroundPersister(nc, (s) => lost.push(s));
    for (let i = 0; i < 500; i++) p.persist(`bp1.${i % 7}`, { i }, `m${i}`);
    p.persist('bp1.0', { i: 0 }, 'm0'); // the same msgID again: kept once
    await settled(p);
    expect(p.pending).toBe(0);
    expect(await stored('BP1')).toBe(500);
    await p.close();
    expect(lost).toEqual([]);
  });

  it('sends a message again until a stream takes it (once, though it was sent many times)', async () => {
    const p = new BackgroundPersister(nc, (s) => lost.push(s), { resendAfterMs: 100, giveUpAfterMs: 30_000 });
    p.persist('bp2.x', { late: true }, 'late-1');
    await new Promise((r) => setTimeout(r, 450)); // several sends answered by no stream
    expect(p.pending).toBe(1);
    await jsm.streams.add({ name: 'BP2', subjects: ['bp2.>'] });
    await settled(p);
    expect(p.pending).toBe(0);
    expect(await stored('BP2')).toBe(1);
    await p.close();
    expect(lost).toEqual([]);
  });

  it('gives a message up, and reports it, when no stream takes it in time', async () => {
    const p = new BackgroundPersister(nc, (s) => lost.push(s), { resendAfterMs: 50, giveUpAfterMs: 300 });
    p.persist('nowhere.y', {}, 'lost-1');
    await settled(p, 3_000);
    expect(lost).toEqual(['nowhere.y']);
    await p.close();
  });

  it('reports what is still unacknowledged when it is closed', async () => {
    const p = new BackgroundPersister(nc, (s) => lost.push(s), { resendAfterMs: 50, giveUpAfterMs: 30_000 });
    p.persist('nowhere.z', {}, 'open-1');
    await p.close(200);
    expect(lost).toEqual(['nowhere.z']);
  });
});

import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { startNats, type NatsServer } from '@reqrun/testing';
import { coalesceWrites, skipCancelAfterResolve } from './nats-client-tuning.js';

let nats: NatsServer;
let nc: NatsConnection;
beforeAll(async () => {
  // Both find the nats-core code they replace; false here means nats-core changed and the patches are off.
  expect(coalesceWrites()).toBe(true);
  expect(skipCancelAfterResolve()).toBe(true);
  nats = await startNats();
  nc = await connect({ servers: nats.url });
});
afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

describe('nats client tuning', () => {
  it('delivers every message of a burst, in order', async () => {
    const got: number[] = [];
    const sub = nc.subscribe('burst', { max: 5000, callback: (_e, m) => { got.push(m.json<number>()); } });
    for (let i = 0; i < 5000; i++) nc.publish('burst', JSON.stringify(i));
    await nc.flush();
    await sub.closed;
    expect(got).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });

  it('sends what was published right before a close', async () => {
    const got: string[] = [];
    const sub = nc.subscribe('last.words', { max: 1, callback: (_e, m) => { got.push(m.string()); } });
    await nc.flush();
    const other = await connect({ servers: nats.url });
    other.publish('last.words', 'bye');
    await other.close();
    await sub.closed;
    expect(got).toEqual(['bye']);
  });

  it('answers requests, and still rejects one that times out or has no responder', async () => {
    nc.subscribe('echo', { callback: (_e, m) => { m.respond(m.data); } });
    nc.subscribe('silent', { callback: () => {} });
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => nc.request('echo', String(i), { timeout: 5000 })));
    expect(answers.map((m) => m.string())).toEqual(Array.from({ length: 200 }, (_, i) => String(i)));
    await expect(nc.request('silent', 'x', { timeout: 100 })).rejects.toThrow(/timeout/i);
    await expect(nc.request('nobody.here', 'x', { timeout: 1000 })).rejects.toThrow(/no responders/i);
  });
});

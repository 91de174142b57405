// What a sync waiter's wake-up costs, alone: per request either a subscription of its own (SUB, max 1, auto-UNSUB)
// on rr.done.<id>, or an entry in a map behind one rr.done.<ingress>.* subscription. A "waiter" connection watches,
// then asks a "finisher" connection (as the adapters do) to publish the wake-up, with 64 requests in flight; reported:
// the CPU of this process and of nats-server per request. node bench/done-sub-cost.mjs [--n 100000] [--rounds 3]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { connect } from '@nats-io/transport-node';
import { startNats } from '../dist/libs/testing/src/index.js';

const { values: a } = parseArgs({ options: { n: { type: 'string', default: '100000' }, rounds: { type: 'string', default: '3' }, inflight: { type: 'string', default: '64' } } });
const n = Number(a.n);
const ticks = (pid) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ').slice(11, 13).reduce((s, x) => s + Number(x), 0) * 10; // ms
const server = await startNats();
const waiter = await connect({ servers: server.url });
const finisher = await connect({ servers: server.url });
const record = JSON.stringify({ id: 'x', status: 'completed', result: { text: 'Mock reply to: hello' } });
finisher.subscribe('finish', { callback: (_e, m) => finisher.publish(m.string(), record) });
const self = 'a1b2c3d4e5f6';
const waiting = new Map();
waiter.subscribe(`rr.done.${self}.*`, { callback: (_e, m) => waiting.get(m.subject.slice(m.subject.lastIndexOf('.') + 1))?.(m.json()) });

async function run(mode) {
  let next = 0;
  const one = async (id) => {
    let close;
    const done = new Promise((wake) => {
      if (mode === 'per-request') {
        const sub = waiter.subscribe(`rr.done.${id}`, { max: 1, callback: (_e, m) => wake(m.json()) });
        close = () => sub.unsubscribe();
        waiter.publish('finish', `rr.done.${id}`);
      } else {
        waiting.set(id, wake);
        close = () => waiting.delete(id);
        waiter.publish('finish', `rr.done.${self}.${id}`);
      }
    });
    await done;
    close();
  };
  const lane = async () => { while (next < n) await one(`rr_${(next++).toString(36).padStart(26, '0')}`); };
  const cpu0 = process.cpuUsage(), s0 = ticks(server.pid), t0 = performance.now();
  await Promise.all(Array.from({ length: Number(a.inflight) }, lane));
  const c = process.cpuUsage(cpu0), wall = performance.now() - t0, s = ticks(server.pid) - s0;
  const us = (ms) => ((ms * 1000) / n).toFixed(1);
  console.log(`${mode.padEnd(11)} ${n} requests, ${Math.round(n / (wall / 1000))}/s: CPU µs/request client ${us((c.user + c.system) / 1000)}, nats-server ${us(s)}`);
}
try {
  for (let r = 0; r < Number(a.rounds); r++) for (const mode of r % 2 ? ['map', 'per-request'] : ['per-request', 'map']) await run(mode);
} finally {
  await waiter.close();
  await finisher.close();
  await server.stop();
}

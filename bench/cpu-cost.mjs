// CPU per request, by process: a fixed number of requests at a fixed concurrency, so the figure does not depend on
// how much of a shared machine the mesh got.
//   node bench/cpu-cost.mjs [--n 4000] [--connections 16] [--rounds 2] [--only sync,async,async-asap] [--node-args="--flag ..."]
// async = wait:false on its default standard window (through the scheduler); async-asap = wait:false on asap (the
// ingress queues it for the provider itself): the difference is what the scheduler's hop costs.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { startMesh, startNats } from '../dist/libs/testing/src/index.js';

const { values: a } = parseArgs({ options: { n: { type: 'string', default: '4000' }, connections: { type: 'string', default: '16' }, rounds: { type: 'string', default: '2' }, only: { type: 'string', default: 'sync,async' }, 'node-args': { type: 'string', default: '' } } });
const nodeArgs = a['node-args'].split(' ').filter(Boolean);
const n = Number(a.n);
const cpuOf = async (pid) => {
  const f = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
const run = (url, body, amount) => new Promise((res, rej) => autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), connections: Number(a.connections), amount, timeout: 30 }, (e, r) => (e ? rej(e) : res(r))));
const nats = await startNats();
const loopback = { host: '127.0.0.1' };
const mesh = await startMesh({ nats, config: { log: { level: 'warn' }, http: { ingress: loopback, scheduler: loopback, adapters: loopback } }, env: { REQRUN_LOG_LEVEL: 'warn' }, nodeArgs: () => nodeArgs });
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => mesh.stop().then(() => nats.stop()).finally(() => process.exit(1)));
const procs = [['nats', nats.pid], ...mesh.apps.map((x) => [x.app, x.pid])];
const body = { model: 'mock-1', messages: [{ role: 'user', content: 'hello' }] };
const url = `${mesh.url}/v1/chat/completions`;
try {
  await run(url, body, 1000); // warm-up
  for (let round = 0; round < Number(a.rounds); round++) {
    for (const kind of a.only.split(',')) {
      const b = kind === 'async' ? { ...body, wait: false } : kind === 'async-asap' ? { ...body, wait: false, completion_window: 'asap' } : body;
      const before = await Promise.all(procs.map(([, pid]) => cpuOf(pid)));
      const t0 = Date.now();
      const r = await run(url, b, n);
      // let the mesh finish what was accepted
      await new Promise((res) => setTimeout(res, kind.startsWith('async') ? 3000 : 300));
      const after = await Promise.all(procs.map(([, pid]) => cpuOf(pid)));
      const per = procs.map(([name], i) => [name, ((after[i] - before[i]) / n) * 1000]);
      const total = per.reduce((s, [, v]) => s + v, 0);
      console.log(`${kind.padEnd(5)} ${n} req, ${(n / ((Date.now() - t0) / 1000)).toFixed(0)} req/s, p50 ${r.latency.p50} ms, non2xx ${r.non2xx}: CPU ms/request ${per.map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ')}, total ${total.toFixed(3)}`);
    }
  }
  // Redeliveries: a worker that found no record yet (the submission goes first) naks and looks again.
  const nc = await connect({ servers: nats.url });
  const jsm = await jetstreamManager(nc);
  for (const [stream, c] of [['RR_SUBMIT', 'rr-scheduler-asap'], ['RR_SUBMIT', 'rr-scheduler-standard'], ['RR_DISPATCH', 'rr-adapter-mock'], ['RR_DISPATCH', 'rr-adapter-mock-bg']]) {
    const i = await jsm.consumers.info(stream, c).catch(() => null);
    if (i) console.log(`${c}: delivered ${i.delivered.consumer_seq}, stream seq ${i.delivered.stream_seq}, redelivered now ${i.num_redelivered}`);
  }
  await nc.close();
} finally {
  await mesh.stop();
  await nats.stop();
}

// Async acceptance (`wait: false`, answered 202 once stored) at a fixed concurrency for a fixed time: req/s and the
// CPU each process used per accepted request. By default the scheduler and the adapters are stopped first, so the
// ingress and nats-server have the machine (what acceptance alone can do); `--processing` keeps them running (the
// mesh processes what it accepts, as in `run.mjs`'s async scenario), `--nice N` then lowers their priority.
//   node bench/accept-cost.mjs [--duration 10] [--connections 64] [--processing] [--nice 19]
//   REQRUN_WORKERS=2 node bench/accept-cost.mjs   # each app as a supervisor of two workers (their CPU summed)
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { childPids, startMesh, startNats } from '../dist/libs/testing/src/index.js';

const { values: a } = parseArgs({ options: { duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '64' }, processing: { type: 'boolean', default: false }, nice: { type: 'string' } } });
const seconds = Number(a.duration);
const ownCpu = async (pid) => {
  const f = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
const appCpu = async (pid) => (await Promise.all([pid, ...childPids(pid)].map(ownCpu))).reduce((x, y) => x + y, 0);
/** An app's CPU with its workers'; nats-server's and this process's alone (the apps are this process's children). */
const cpuOf = ([name, pid]) => (name === 'nats' || name === 'load generator' ? ownCpu(pid) : appCpu(pid));
const machine = async () => {
  const t = (await readFile('/proc/stat', 'utf8')).split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return { idle: t[3] + t[4], total: t.reduce((x, y) => x + y, 0) };
};
const nats = await startNats();
const loopback = { host: '127.0.0.1' };
const mesh = await startMesh({ nats, config: { log: { level: 'warn' }, http: { ingress: loopback, scheduler: loopback, adapters: loopback } }, env: { REQRUN_LOG_LEVEL: 'warn' } });
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => mesh.stop().then(() => nats.stop()).finally(() => process.exit(1)));
try {
  const workers = mesh.apps.filter((x) => x.app !== 'ingress');
  for (const w of workers) {
    if (!a.processing) await w.stop();
    else if (a.nice) execFileSync('renice', ['-n', a.nice, '-p', String(w.pid)]);
  }
  const procs = [['nats', nats.pid], ...(a.processing ? workers.map((w) => [w.app, w.pid]) : []), ['ingress', mesh.ingress.pid], ['load generator', process.pid]];
  const body = JSON.stringify({ model: 'mock-1', messages: [{ role: 'user', content: 'hello' }], wait: false });
  const run = (duration) => new Promise((res, rej) => autocannon({ url: `${mesh.url}/v1/chat/completions`, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: Number(a.connections), duration, timeout: 30 }, (e, r) => (e ? rej(e) : res(r))));
  await run(2); // warm-up
  const before = await Promise.all(procs.map(cpuOf));
  const m0 = await machine();
  const r = await run(seconds);
  const after = await Promise.all(procs.map(cpuOf));
  const m1 = await machine();
  const n = r.requests.total;
  const used = procs.map(([name], i) => [name, after[i] - before[i]]);
  const busy = 1 - (m1.idle - m0.idle) / (m1.total - m0.total);
  const mode = a.processing ? `processing${a.nice ? ` (scheduler and adapters at nice ${a.nice})` : ''}` : 'scheduler and adapters stopped';
  console.log(`accept ${mode}: ${n} accepted in ${seconds} s, ${(n / seconds).toFixed(0)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, non-2xx ${r.non2xx}, errors ${r.errors}`);
  console.log(`  CPU ms per accepted request: ${used.map(([k, s]) => `${k} ${((s / n) * 1000).toFixed(3)}`).join(', ')}`);
  console.log(`  share of one core: ${used.map(([k, s]) => `${k} ${Math.round((s / seconds) * 100)}%`).join(', ')}; machine ${Math.round(busy * 100)}% busy`);
} finally {
  await mesh.stop();
  await nats.stop();
}

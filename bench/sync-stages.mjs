// Where a sync request's time goes under load, stage by stage, from the timestamps the mesh stores in each record.
// Sync load on a fresh mesh (mock provider at 0 ms), every request timed by the client and kept with its id; then
// each record is read and its time cut at the points the apps stamped it:
//   accept  the client sends -> the ingress makes the record (`created_at`): HTTP, parse, validation
//   queued  `created_at` -> the adapters decide the attempt's start (`started_at`): the record and dispatch writes,
//           the work queue's delivery, the adapters' read of the record
//   call    `started_at` -> the outcome is decided (`ended_at`): the start's write, the provider call, the answer built
//   back    `ended_at` -> the client has the whole answer: the outcome's write, the done wake-up, the HTTP answer
// All processes stamp with Date.now() on the same machine (1 ms resolution). If one stage held the tail, the slowest
// 1 % would spend their extra time there; if every stage is slower for them, the tail is the mesh's CPU queueing.
// Usage: node bench/sync-stages.mjs [--duration S=10] [--warmup S=3] [--connections N=64]
import http from 'node:http';
import { parseArgs } from 'node:util';
import { connect } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { startMesh } from '../dist/libs/testing/src/index.js';

const { values: a } = parseArgs({ options: { duration: { type: 'string', default: '10' }, warmup: { type: 'string', default: '3' }, connections: { type: 'string', default: '64' } } });
const connections = Number(a.connections);
const mesh = await startMesh({ config: { log: { level: 'warn' }, http: { ingress: { host: '127.0.0.1' } } }, env: { REQRUN_LOG_LEVEL: 'warn' } });
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => mesh.stop().finally(() => process.exit(1)));
const nc = await connect({ servers: mesh.nats.url });
try {
  const url = new URL(mesh.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const body = JSON.stringify({ model: 'mock-1', messages: [{ role: 'user', content: 'hello' }] });
  const post = () => new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: '/v1/chat/completions', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(res.headers['x-request-id']) : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
  const load = async (seconds, timed) => {
    const end = Date.now() + seconds * 1000;
    await Promise.all(Array.from({ length: connections }, async () => {
      while (Date.now() < end) {
        const sent = Date.now();
        const id = await post();
        timed?.push({ id, sent, answered: Date.now() });
      }
    }));
  };
  await load(Number(a.warmup));
  const timed = [];
  await load(Number(a.duration), timed);

  const kv = await new Kvm(nc).open('rr-requests');
  const stages = { accept: [], queued: [], call: [], back: [], total: [] };
  for (const t of timed) {
    const r = (await kv.get(t.id)).json();
    const attempt = r.history.at(-1);
    stages.accept.push(r.created_at - t.sent);
    stages.queued.push(attempt.started_at - r.created_at);
    stages.call.push(attempt.ended_at - attempt.started_at);
    stages.back.push(t.answered - attempt.ended_at);
    stages.total.push(t.answered - t.sent);
  }
  const quantile = (xs, p) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
  const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const p99 = quantile(stages.total, 0.99);
  const slowest = stages.total.map((ms, i) => [ms, i]).filter(([ms]) => ms >= p99).map(([, i]) => i);
  console.log(`sync, ${connections} connections, ${a.duration} s: ${timed.length} answers, ${Math.round(timed.length / Number(a.duration))} req/s`);
  console.log('stage    p50  p90  p99  mean   mean of the slowest 1 %');
  for (const [name, xs] of Object.entries(stages)) {
    const slow = mean(slowest.map((i) => xs[i]));
    console.log(`${name.padEnd(7)} ${[0.5, 0.9, 0.99].map((p) => String(quantile(xs, p)).padStart(4)).join(' ')} ${mean(xs).toFixed(1).padStart(5)}   ${slow.toFixed(1).padStart(5)} (x${(slow / mean(xs)).toFixed(1)})`);
  }
} finally {
  await nc.close();
  await mesh.stop();
}

// When do the slowest sync requests happen? Sync load on a fresh mesh (mock provider at 0 ms), every response's
// latency kept with its time; the measured run is cut in 250 ms windows and the report says how many of the slowest
// 1 % each window holds, next to what each app's stall probe saw then (GC pauses, event-loop stalls) and nats-server's
// round trips from a client of its own. Spread out = every request is unlucky now and then; a few windows = moments
// when the whole mesh is slow (what is in them says why).
// Usage: node bench/tail-windows.mjs [--duration S=10] [--warmup S=10] [--connections N=64] [--node-args "FLAGS"]
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { connect } from '@nats-io/transport-node';
import { startMesh } from '../dist/libs/testing/src/index.js';

const { values: a } = parseArgs({ options: { duration: { type: 'string', default: '10' }, warmup: { type: 'string', default: '10' }, connections: { type: 'string', default: '64' }, 'node-args': { type: 'string', default: '' } } });
const WINDOW_MS = 250;
const dir = await mkdtemp(join(tmpdir(), 'reqrun-stalls-'));
const probe = new URL('./stall-probe.mjs', import.meta.url).pathname;
const mesh = await startMesh({
  nodeArgs: () => [...a['node-args'].split(' ').filter(Boolean), '--import', probe],
  config: { log: { level: 'warn' }, http: { ingress: { host: '127.0.0.1' } } },
  env: { REQRUN_LOG_LEVEL: 'warn', STALL_PROBE_DIR: dir },
});
const nc = await connect({ servers: mesh.nats.url });
try {
  const body = JSON.stringify({ model: 'mock-1', messages: [{ role: 'user', content: 'hello' }] });
  const load = (seconds, onResponse) => new Promise((resolve, reject) => {
    const inst = autocannon({ url: `${mesh.url}/v1/chat/completions`, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: Number(a.connections), duration: Number(seconds) },
      (err, r) => (err ? reject(err) : resolve(r)));
    if (onResponse) inst.on('response', (_client, _status, _bytes, ms) => onResponse(ms));
  });
  await load(a.warmup);

  const slowRtts = [];
  let probing = true;
  const rttProbe = (async () => {
    while (probing) {
      const t = performance.now();
      await nc.rtt();
      if (performance.now() - t >= 10) slowRtts.push({ at: Math.round(performance.timeOrigin + t), rtt: Math.round(performance.now() - t) });
      await sleep(5);
    }
  })();
  const responses = [];
  const start = Date.now();
  const r = await load(a.duration, (ms) => responses.push([Date.now(), ms]));
  probing = false;
  await rttProbe;
  await sleep(600); // the probes' last rows

  const sorted = responses.map(([, ms]) => ms).sort((x, y) => x - y);
  const p99 = sorted[Math.floor(sorted.length * 0.99)];
  const windowOf = (at) => Math.floor((at - start) / WINDOW_MS);
  const windows = new Map();
  const win = (i) => windows.get(i) ?? windows.set(i, { latencies: [], slow: 0, seen: [] }).get(i);
  for (const [at, ms] of responses) {
    const w = win(windowOf(at));
    w.latencies.push(ms);
    if (ms >= p99) w.slow++;
  }
  const stats = {};
  for (const f of await readdir(dir)) {
    const app = f.split('.')[0];
    const rows = (await readFile(join(dir, f), 'utf8')).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((x) => x.at >= start);
    const s = (stats[app] ??= { minor: 0, minorMs: 0, minorMax: 0, major: 0, stalls: 0, stallMax: 0 });
    for (const x of rows) {
      if (x.gc === 'minor') Object.assign(s, { minor: s.minor + 1, minorMs: s.minorMs + x.ms, minorMax: Math.max(s.minorMax, x.ms) });
      if (x.gc === 'major') s.major++;
      if (x.stall) Object.assign(s, { stalls: s.stalls + 1, stallMax: Math.max(s.stallMax, x.stall) });
      if (x.gc === 'major' || x.gc === 'incremental' || x.stall >= 25) win(windowOf(x.at)).seen.push(`${app} ${x.gc ? `${x.gc} GC ${x.ms} ms` : `stall ${x.stall} ms`}`);
    }
  }
  for (const x of slowRtts) win(windowOf(x.at)).seen.push(`nats rtt ${x.rtt} ms`);

  const slowTotal = [...windows.values()].reduce((n, w) => n + w.slow, 0);
  const byWindow = [...windows.entries()].filter(([, w]) => w.latencies.length > 0).sort(([x], [y]) => x - y);
  const top = [...byWindow].sort(([, x], [, y]) => y.slow - x.slow).slice(0, 4).reduce((n, [, w]) => n + w.slow, 0);
  console.log(`sync, ${a.connections} connections, ${a.duration} s: ${Math.round(r.requests.average)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms`);
  console.log(`the slowest 1 % (>= ${Math.round(p99)} ms, ${slowTotal} responses): ${top} of them in the 4 worst of ${byWindow.length} windows of ${WINDOW_MS} ms; windows holding any: ${byWindow.filter(([, w]) => w.slow > 0).length}`);
  for (const [i, w] of byWindow) {
    if (w.slow === 0) continue;
    const ls = w.latencies.sort((x, y) => x - y);
    console.log(`  ${((i * WINDOW_MS) / 1000).toFixed(2)} s: ${ls.length} responses, p50 ${Math.round(ls[ls.length >> 1])} ms, ${w.slow} slow; ${w.seen.join(', ') || 'nothing probed'}`);
  }
  for (const [app, s] of Object.entries(stats)) {
    console.log(`${app}: scavenges >= 4 ms ${s.minor} (${s.minorMs} ms, longest ${s.minorMax}), major GCs ${s.major}, loop stalls >= 15 ms ${s.stalls} (longest ${s.stallMax})`);
  }
} finally {
  await nc.close();
  await mesh.stop();
  await rm(dir, { recursive: true, force: true });
}

// Backlog benchmark: does the scheduler keep its memory and its dispatch rate with a deep queue?
// Usage: npm run build && node bench/backlog.mjs [--n 1000000] [--small 20000] [--measure 30] [--json path]
//
// Two stages, measured the same way: with the scheduler stopped, N queued standard requests are written the way
// ingress writes them (a record in rr-requests, a submission on rr.submit.standard.<tenant>); then the scheduler
// starts and for --measure seconds we sample, every second, its RSS and how many attempts it dispatched and the
// adapters ran (their Prometheus counters). Stage 1 has a small queue (--small), stage 2 the big one (--n).
// The queue stays in JetStream: the scheduler pulls a bounded number of messages at a time, whatever the depth.
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { metricValue, startMesh } from '../dist/libs/testing/src/index.js';
import { msgId, names, systemIds } from '../dist/libs/contracts/src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '1000000' },
    small: { type: 'string', default: '20000' },
    measure: { type: 'string', default: '30' },
    json: { type: 'string', default: resolve(here, 'results', 'backlog.json') },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log('node bench/backlog.mjs [--n 1000000] [--small 20000] [--measure 30] [--json bench/results/backlog.json]');
  process.exit(0);
}
const N = Number(args.n);
const SMALL = Number(args.small);
const MEASURE_S = Number(args.measure);
const n = names('rr');
const tenant = 'bench';

const mesh = await startMesh({
  env: { REQRUN_LOG_LEVEL: 'warn' },
  config: {
    log: { level: 'warn' },
    // a deep standard queue must not expire while we watch it
    windows: { standard: { target_s: 864_000, expire_s: 1_728_000 } },
    providers: [{ name: 'mock', type: 'mock', concurrency: 64 }],
    models: { 'mock-1': { targets: [{ provider: 'mock' }] } },
    http: { ingress: { host: '127.0.0.1' }, scheduler: { host: '127.0.0.1' }, adapters: { host: '127.0.0.1' } },
  },
});
const stopAll = async () => {
  await nc?.close().catch(() => {});
  await mesh.stop();
};
process.on('SIGINT', () => void stopAll().then(() => process.exit(130)));
const nc = await connect({ servers: mesh.nats.url });
const js = jetstream(nc);
const jsm = await jetstreamManager(nc);
const app = (name) => mesh.apps.find((a) => a.app === name);

async function rssMib(pid) {
  try {
    const text = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
    return { rss: Math.round(kb('VmRSS') / 102.4) / 10, hwm: Math.round(kb('VmHWM') / 102.4) / 10 };
  } catch {
    return null;
  }
}

/** Records and submissions, as ingress writes them, `inFlight` publishes at a time. */
async function fill(count) {
  const started = Date.now();
  const body = { model: 'mock-1', messages: [{ role: 'user', content: 'backlog' }] };
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      const now = Date.now();
      const id = systemIds.requestId();
      const r = { id, tenant, api: 'chat', model: 'mock-1', window: 'standard', status: 'queued', body, created_at: now, updated_at: now, attempts: 0, history: [] };
      await js.publish(`$KV.${n.requestsBucket}.${id}`, JSON.stringify(r));
      const item = { id, tenant, attempt: 1, model: 'mock-1', window: 'standard', api: 'chat', created_at: now };
      await js.publish(n.submit('standard', tenant), JSON.stringify(item), { msgID: msgId(item) });
    }
  };
  let last = 0;
  const progress = setInterval(() => {
    if (next - last >= 100_000 || last === 0) console.log(`  filled ${next.toLocaleString()} / ${count.toLocaleString()}`);
    last = next;
  }, 5000);
  await Promise.all(Array.from({ length: 512 }, worker));
  clearInterval(progress);
  return { count, fill_s: (Date.now() - started) / 1000 };
}

const queued = async () => (await jsm.streams.info(n.submitStream)).state.messages;
/** Everything not yet run: the submit stream plus what waits in the dispatch lanes. */
const backlog = async () => (await queued()) + (await jsm.streams.info(n.dispatchStream)).state.messages;

async function stage(name, count) {
  console.log(`\n${name}: ${count.toLocaleString()} queued standard requests`);
  await app('scheduler').stop();
  await jsm.streams.purge(n.submitStream);
  await jsm.streams.purge(n.dispatchStream);
  const filled = await fill(count);
  console.log(`  filled in ${filled.fill_s.toFixed(1)} s; submit stream holds ${(await queued()).toLocaleString()}`);
  await app('scheduler').restart();
  const sched = app('scheduler');
  const adapters = app('adapters');
  const samples = [];
  const d0 = await metricValue(`${sched.url}/metrics`, 'reqrun_scheduler_dispatched_total');
  const c0 = await metricValue(`${adapters.url}/metrics`, 'reqrun_upstream_calls_total');
  let prevD = d0;
  let prevC = c0;
  const t0 = Date.now();
  for (let s = 1; s <= MEASURE_S; s++) {
    await sleep(t0 + s * 1000 - Date.now());
    const d = await metricValue(`${sched.url}/metrics`, 'reqrun_scheduler_dispatched_total');
    const c = await metricValue(`${adapters.url}/metrics`, 'reqrun_upstream_calls_total');
    const mem = await rssMib(sched.pid);
    samples.push({ s, dispatched_per_s: d - prevD, calls_per_s: c - prevC, scheduler_rss_mib: mem?.rss, backlog: await backlog() });
    prevD = d;
    prevC = c;
  }
  const elapsed = (Date.now() - t0) / 1000;
  const mem = await rssMib(sched.pid);
  // past start-up, and only seconds that ended with work still waiting (a drained queue says nothing about the rate)
  const steady = samples.slice(5).filter((x) => x.backlog > 0);
  const avg = (xs) => Math.round(xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length));
  const result = {
    stage: name,
    queued: count,
    fill_s: filled.fill_s,
    measured_s: elapsed,
    dispatched_per_s: Math.round((prevD - d0) / elapsed),
    calls_per_s: Math.round((prevC - c0) / elapsed),
    steady_seconds: steady.length,
    steady_dispatched_per_s: avg(steady.map((x) => x.dispatched_per_s)),
    steady_calls_per_s: avg(steady.map((x) => x.calls_per_s)),
    scheduler_rss_mib: { max: Math.max(...samples.map((x) => x.scheduler_rss_mib ?? 0)), end: mem?.rss, peak_hwm: mem?.hwm },
    left_in_submit_stream: await queued(),
    samples,
  };
  console.log(`  ${MEASURE_S} s: dispatched ${result.dispatched_per_s}/s, provider calls ${result.calls_per_s}/s (steady, ${result.steady_seconds} s with work waiting: ${result.steady_dispatched_per_s}/s, ${result.steady_calls_per_s}/s); scheduler RSS max ${result.scheduler_rss_mib.max} MiB; still queued ${result.left_in_submit_stream.toLocaleString()}`);
  return result;
}

let exit = 0;
const report = { config: { n: N, small: SMALL, measure_s: MEASURE_S }, date: new Date().toISOString(), stages: [] };
try {
  report.stages.push(await stage('small queue', SMALL));
  report.stages.push(await stage('deep queue', N));
  const [a, b] = report.stages;
  report.ratio = {
    dispatch_rate_deep_vs_small: Math.round((b.steady_calls_per_s / Math.max(1, a.steady_calls_per_s)) * 100) / 100,
    scheduler_rss_deep_vs_small: Math.round((b.scheduler_rss_mib.max / Math.max(1, a.scheduler_rss_mib.max)) * 100) / 100,
  };
  console.log(`\ndeep vs small: provider call rate x${report.ratio.dispatch_rate_deep_vs_small}, scheduler RSS x${report.ratio.scheduler_rss_deep_vs_small}`);
  await mkdir(dirname(resolve(args.json)), { recursive: true });
  await writeFile(resolve(args.json), JSON.stringify(report, null, 2));
  console.log(`report: ${resolve(args.json)}`);
} catch (e) {
  console.error(e);
  exit = 1;
} finally {
  await stopAll();
}
process.exit(exit);

// Backlog benchmark: does the scheduler keep its memory and its dispatch rate with a deep queue?
// Usage: npm run build && node bench/backlog.mjs [--n 1000000] [--small 20000] [--measure 30] [--nats-profile] [--json path]
//
// Two stages on one mesh, measured the same way: with the scheduler stopped, N queued standard requests are written
// the way ingress writes them (a record in rr-requests, a submission on rr.submit.standard.<tenant>); then the
// scheduler starts and for --measure seconds we sample, every second, how many attempts it dispatched and the
// adapters ran (their Prometheus counters), every process's CPU and RSS, and the latency of the NATS operations the
// mesh does per request, probed from here. Stage 1 has a small queue (--small), stage 2 the deep one (--n), stage 3
// the small one again (the bucket then holds the deep stage's records too, and a drift of the machine's load shows);
// the report ends with the ratio of the deep queue's rate to the small queue's (the mean of stages 1 and 3).
// --kv-history 1 sets the request bucket back to one revision per record, as before ReqRun kept them all: the
// nats-server 2.9 behaviour that made a deep queue slow, for comparison in the same run.
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { metricValue, startMesh, startNats } from '../dist/libs/testing/src/index.js';
import { msgId, names, systemIds } from '../dist/libs/contracts/src/index.js';
import { summarizeGoProfile } from './go-profile.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '1000000' },
    small: { type: 'string', default: '20000' },
    measure: { type: 'string', default: '30' },
    'nats-profile': { type: 'boolean', default: false },
    'kv-history': { type: 'string' },
    json: { type: 'string', default: resolve(here, 'results', 'backlog.json') },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log('node bench/backlog.mjs [--n 1000000] [--small 20000] [--measure 30] [--nats-profile] [--kv-history N] [--json bench/results/backlog.json]');
  process.exit(0);
}
const N = Number(args.n);
const SMALL = Number(args.small);
const MEASURE_S = Number(args.measure);
/** Seconds left out at the start of a stage: the scheduler's and the consumers' start. */
const WARMUP_S = 5;
const KV_HISTORY = args['kv-history'] === undefined ? undefined : Number(args['kv-history']);
const n = names('rr');
const tenant = 'bench';

const natsServer = await startNats({ monitorPort: 0, ...(args['nats-profile'] ? { profPort: 0 } : {}) });
const mesh = await startMesh({
  nats: natsServer,
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
  await natsServer.stop();
};
process.on('SIGINT', () => void stopAll().then(() => process.exit(130)));
const nc = await connect({ servers: natsServer.url });
const js = jetstream(nc);
const jsm = await jetstreamManager(nc);
const kv = await new Kvm(nc).open(n.requestsBucket);
const app = (name) => mesh.apps.find((a) => a.app === name);
const procs = () => [{ name: 'nats-server', pid: natsServer.pid }, ...mesh.apps.map((a) => ({ name: a.app, pid: a.pid }))];

async function procStatus(pid) {
  try {
    const text = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
    return { rss: Math.round(kb('VmRSS') / 102.4) / 10, hwm: Math.round(kb('VmHWM') / 102.4) / 10 };
  } catch {
    return null;
  }
}
/** CPU seconds (user + system) the process has used so far (USER_HZ = 100). */
async function cpuSeconds(pid) {
  try {
    const f = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}
const timed = async (f) => {
  const t = performance.now();
  await f();
  return Math.round((performance.now() - t) * 100) / 100;
};
const median = (xs) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : 0);
const mean = (xs) => (xs.length ? Math.round(xs.reduce((a, b) => a + b, 0) / xs.length) : 0);

/** Records and submissions, as ingress writes them, 512 at a time; keeps every 1000th id to probe reads with. */
async function fill(count, sampled) {
  const started = Date.now();
  const body = { model: 'mock-1', messages: [{ role: 'user', content: 'backlog' }] };
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const now = Date.now();
      const id = systemIds.requestId();
      if (i % 1000 === 0) sampled.push(id);
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
  return (Date.now() - started) / 1000;
}

const queued = async () => (await jsm.streams.info(n.submitStream)).state.messages;
/** Everything not yet run: the submit stream plus what waits in the dispatch lanes. */
const backlog = async () => (await queued()) + (await jsm.streams.info(n.dispatchStream)).state.messages;
/** The apps set the bucket's history when they start: put back the one asked for. */
async function overrideHistory() {
  if (KV_HISTORY === undefined) return;
  const info = await jsm.streams.info(`KV_${n.requestsBucket}`);
  if (info.config.max_msgs_per_subject !== KV_HISTORY) await jsm.streams.update(info.config.name, { ...info.config, max_msgs_per_subject: KV_HISTORY });
}
const bgLane = async () => {
  const c = await jsm.consumers.info(n.dispatchStream, n.adapterConsumer('mock', 'bg')).catch(() => null);
  return c ? c.num_pending + c.num_ack_pending : null;
};

async function stage(name, count) {
  console.log(`\n${name}: ${count.toLocaleString()} queued standard requests`);
  await app('scheduler').stop();
  await overrideHistory();
  await jsm.streams.purge(n.submitStream);
  await jsm.streams.purge(n.dispatchStream);
  // Probe keys written before the backlog, so the backlog lies between them and the end of the bucket, as it does
  // for a queued request's record when its turn comes: each second one of them gets two updates (start, end).
  const probes = [];
  for (let i = 0; i < MEASURE_S; i++) {
    const key = `probe_${name.replace(/\W/g, '_')}_${i}`;
    probes.push({ key, revision: await kv.put(key, JSON.stringify({ probe: i, pad: 'x'.repeat(200) })) });
  }
  const sampled = [];
  const fillS = await fill(count, sampled);
  console.log(`  filled in ${fillS.toFixed(1)} s; submit stream holds ${(await queued()).toLocaleString()}`);
  await app('scheduler').restart();
  await overrideHistory();
  const sched = app('scheduler');
  const adapters = app('adapters');
  const deferred0 = await metricValue(`${sched.url}/metrics`, 'reqrun_scheduler_deferred_total');
  const laneWaits0 = await metricValue(`${sched.url}/metrics`, 'reqrun_scheduler_lane_waits_total');
  const laneWaitS0 = await metricValue(`${sched.url}/metrics`, 'reqrun_scheduler_lane_wait_seconds_total');
  const samples = [];
  let prevD = await metricValue(`${sched.url}/metrics`, 'reqrun_scheduler_dispatched_total');
  let prevC = await metricValue(`${adapters.url}/metrics`, 'reqrun_upstream_calls_total');
  const d0 = prevD;
  const c0 = prevC;
  let prevCpu = await Promise.all(procs().map((p) => cpuSeconds(p.pid)));
  const profile = natsServer.profUrl ? fetch(`${natsServer.profUrl}/profile?seconds=${MEASURE_S - WARMUP_S}`).then((r) => r.arrayBuffer()) : undefined;
  const t0 = Date.now();
  for (let s = 1; s <= MEASURE_S; s++) {
    await sleep(t0 + s * 1000 - Date.now());
    const d = await metricValue(`${sched.url}/metrics`, 'reqrun_scheduler_dispatched_total');
    const c = await metricValue(`${adapters.url}/metrics`, 'reqrun_upstream_calls_total');
    const cpuNow = await Promise.all(procs().map((p) => cpuSeconds(p.pid)));
    const cpu = Object.fromEntries(procs().map((p, i) => [p.name, Math.round((cpuNow[i] - prevCpu[i]) * 100)]));
    const rss = Object.fromEntries(await Promise.all(procs().map(async (p) => [p.name, (await procStatus(p.pid))?.rss])));
    prevCpu = cpuNow;
    const probe = probes[s - 1];
    let rev = probe.revision;
    const probe_ms = {
      kv_get_queued: await timed(() => kv.get(sampled[Math.floor(Math.random() * sampled.length)])),
      kv_update_1: await timed(async () => (rev = await kv.update(probe.key, JSON.stringify({ probe: s, step: 1 }), rev))),
      kv_update_2: await timed(() => kv.update(probe.key, JSON.stringify({ probe: s, step: 2 }), rev)),
      consumer_info: await timed(() => jsm.consumers.info(n.submitStream, n.schedulerConsumer('standard'))),
    };
    samples.push({ s, dispatched_per_s: d - prevD, calls_per_s: c - prevC, cpu_percent: cpu, rss_mib: rss, probe_ms, bg_lane: await bgLane(), backlog: await backlog() });
    prevD = d;
    prevC = c;
  }
  const elapsed = (Date.now() - t0) / 1000;
  const consumer = await jsm.consumers.info(n.submitStream, n.schedulerConsumer('standard'));
  // past start-up, and only seconds that ended with work still waiting (a drained queue says nothing about the rate)
  const steady = samples.slice(WARMUP_S).filter((x) => x.backlog > 0);
  const pick = (f) => steady.map(f);
  const result = {
    stage: name,
    queued: count,
    fill_s: fillS,
    measured_s: elapsed,
    dispatched_per_s: Math.round((prevD - d0) / elapsed),
    calls_per_s: Math.round((prevC - c0) / elapsed),
    steady_seconds: steady.length,
    steady_dispatched_per_s: mean(pick((x) => x.dispatched_per_s)),
    steady_calls_per_s: mean(pick((x) => x.calls_per_s)),
    steady_calls_per_s_median: median(pick((x) => x.calls_per_s)),
    cpu_percent_mean: Object.fromEntries(procs().map((p) => [p.name, mean(pick((x) => x.cpu_percent[p.name]))])),
    // CPU per call hardly depends on how busy the shared machine is, where the rate does: the steadier comparison
    cpu_ms_per_call: Object.fromEntries(procs().map((p) => [p.name, Math.round((pick((x) => x.cpu_percent[p.name]).reduce((a, b) => a + b, 0) * 10_000) / Math.max(1, pick((x) => x.calls_per_s).reduce((a, b) => a + b, 0))) / 1000])),
    rss_mib_max: Object.fromEntries(procs().map((p) => [p.name, Math.max(...samples.map((x) => x.rss_mib[p.name] ?? 0))])),
    probe_ms_median: Object.fromEntries(Object.keys(samples[0].probe_ms).map((k) => [k, median(pick((x) => x.probe_ms[k]))])),
    scheduler_consumer: {
      num_redelivered: consumer.num_redelivered, num_ack_pending: consumer.num_ack_pending, num_pending: consumer.num_pending,
      delivered_stream_seq: consumer.delivered.stream_seq, ack_floor_stream_seq: consumer.ack_floor.stream_seq,
    },
    deferred: (await metricValue(`${sched.url}/metrics`, 'reqrun_scheduler_deferred_total')) - deferred0,
    bg_lane_max: Math.max(...samples.map((x) => x.bg_lane ?? 0)),
    // attempts the scheduler held back because the provider's bg lane was full (held in the handler, not nak'd)
    lane_waits: (await metricValue(`${sched.url}/metrics`, 'reqrun_scheduler_lane_waits_total')) - laneWaits0,
    lane_wait_s: Math.round(((await metricValue(`${sched.url}/metrics`, 'reqrun_scheduler_lane_wait_seconds_total')) - laneWaitS0) * 10) / 10,
    left_in_submit_stream: await queued(),
    samples,
  };
  if (profile) result.nats_profile = summarizeGoProfile(Buffer.from(await profile), 15);
  const cpuLine = Object.entries(result.cpu_percent_mean).map(([k, v]) => `${k} ${v}%`).join(', ');
  const rssLine = Object.entries(result.rss_mib_max).map(([k, v]) => `${k} ${v}`).join(', ');
  console.log(`  ${MEASURE_S} s: dispatched ${result.dispatched_per_s}/s, provider calls ${result.calls_per_s}/s; steady (${result.steady_seconds} s with work waiting, after ${WARMUP_S} s): calls ${result.steady_calls_per_s}/s (median ${result.steady_calls_per_s_median}), dispatched ${result.steady_dispatched_per_s}/s`);
  const mesh = Object.values(result.cpu_ms_per_call).reduce((a, b) => a + b, 0);
  result.cpu_ms_per_call.mesh = Math.round(mesh * 1000) / 1000;
  console.log(`  CPU (mean, % of a core): ${cpuLine}`);
  console.log(`  CPU per provider call (ms): ${Object.entries(result.cpu_ms_per_call).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log(`  RSS max (MiB): ${rssLine}`);
  console.log(`  NATS latency probed each second (median ms): ${JSON.stringify(result.probe_ms_median)}`);
  console.log(`  scheduler: ${result.deferred} deferred, consumer redelivered ${consumer.num_redelivered}, bg lane max ${result.bg_lane_max}, ${result.lane_waits} attempts waited for lane room (${result.lane_wait_s} s in all); still queued ${result.left_in_submit_stream.toLocaleString()}`);
  if (result.nats_profile) console.log(result.nats_profile.replace(/^/gm, '    '));
  return result;
}

let exit = 0;
const report = { config: { n: N, small: SMALL, measure_s: MEASURE_S, kv_history: KV_HISTORY ?? 'as the apps set it' }, date: new Date().toISOString(), stages: [] };
try {
  const cpuModel = /model name\s*:\s*(.*)/.exec(await readFile('/proc/cpuinfo', 'utf8'))?.[1];
  const load = async () => (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
  report.machine = { cpu: cpuModel, node: process.version, load_avg_start: await load() };
  report.stages.push(await stage('small queue', SMALL));
  report.machine.load_avg_small = await load();
  report.stages.push(await stage('deep queue', N));
  report.machine.load_avg_deep = await load();
  report.stages.push(await stage('small queue again', SMALL));
  report.machine.load_avg_end = await load();
  const [a, b, c] = report.stages;
  const r = (x, y) => (y > 0 ? Math.round((x / y) * 100) / 100 : null);
  const smallRate = (a.steady_calls_per_s + c.steady_calls_per_s) / 2;
  const smallMedian = (a.steady_calls_per_s_median + c.steady_calls_per_s_median) / 2;
  report.ratio = {
    calls_per_s_deep_vs_small: r(b.steady_calls_per_s, smallRate),
    calls_per_s_median_deep_vs_small: r(b.steady_calls_per_s_median, smallMedian),
    scheduler_rss_deep_vs_small: r(b.rss_mib_max.scheduler, Math.max(a.rss_mib_max.scheduler, c.rss_mib_max.scheduler)),
    cpu_per_call_deep_vs_small: Object.fromEntries(Object.keys(b.cpu_ms_per_call).map((k) => [k, r(b.cpu_ms_per_call[k], (a.cpu_ms_per_call[k] + c.cpu_ms_per_call[k]) / 2)])),
  };
  console.log(`\nload average (1, 5, 15 min): ${report.machine.load_avg_start} at the start, ${report.machine.load_avg_small} after the small queue, ${report.machine.load_avg_deep} after the deep one, ${report.machine.load_avg_end} at the end`);
  console.log(`small queue: ${a.steady_calls_per_s} then ${c.steady_calls_per_s} calls/s; deep queue: ${b.steady_calls_per_s} calls/s`);
  console.log(`deep (${N.toLocaleString()}) vs small (${SMALL.toLocaleString()}): provider call rate x${report.ratio.calls_per_s_deep_vs_small} (medians x${report.ratio.calls_per_s_median_deep_vs_small}), scheduler RSS x${report.ratio.scheduler_rss_deep_vs_small}; filling took ${a.fill_s.toFixed(1)} s, ${b.fill_s.toFixed(1)} s and ${c.fill_s.toFixed(1)} s`);
  console.log(`CPU per call, deep vs small: ${Object.entries(report.ratio.cpu_per_call_deep_vs_small).map(([k, v]) => `${k} x${v}`).join(', ')}`);
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

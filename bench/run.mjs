// ReqRun load benchmark: the same chat-completion load on a bare Fastify mock upstream (baseline) and through the
// mesh (sync, async acceptance with and without the processing on the same cores, and a deep backlog's drain), in one invocation so the ratios are comparable on a
// noisy machine; and streaming (`stream: true`): time to first token and total time, through the mesh and straight
// from the mock upstream streaming the same pieces at the same pace.
// Usage: npm run bench [-- --duration S --connections N --warmup S --only baseline,sync,async,accept,streaming,backlog --backlog N
//                         --chunk-delay MS --ingress N --profile DIR --json path]
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { childPids, metricValue, startMesh, startNats } from '../dist/libs/testing/src/index.js';
import { summarizeLoops } from './loop-summary.mjs';
import { summarizeProfiles } from './profile-summary.mjs';
import { isTerminal, names } from '../dist/libs/contracts/src/index.js';
import { startMockUpstream } from './mock-upstream.mjs';
import { openLoad } from './open-loop.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const SCENARIOS = ['baseline', 'sync', 'async', 'accept', 'streaming', 'backlog'];
const chatBody = { model: 'mock-1', messages: [{ role: 'user', content: 'hello' }] };
const drainTimeoutMs = 60_000;
const settleTimeoutMs = 60_000;

// ---------- arguments ----------
const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    warmup: { type: 'string', default: '2' },
    only: { type: 'string' },
    backlog: { type: 'string', default: '20000' },
    'chunk-delay': { type: 'string', default: '10' },
    profile: { type: 'string' },
    probe: { type: 'string' },
    'node-args': { type: 'string' },
    ingress: { type: 'string', default: '1' },
    workers: { type: 'string', default: '1' },
    rate: { type: 'string' },
    json: { type: 'string', default: resolve(here, 'results', 'latest.json') },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(`npm run bench -- [--duration S=10] [--connections N=64] [--warmup S=2] [--only ${SCENARIOS.join(',')}] [--backlog N=20000] [--chunk-delay MS=10] [--ingress N=1] [--workers N=1] [--rate R] [--profile DIR] [--json path=bench/results/latest.json]`);
  process.exit(0);
}
const positive = (name, v, allowZero = false) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) {
    console.error(`--${name}: expected a ${allowZero ? 'non-negative' : 'positive'} number, got '${v}'`);
    process.exit(2);
  }
  return n;
};
const opts = {
  duration: positive('duration', args.duration),
  connections: Math.round(positive('connections', args.connections)),
  warmup: positive('warmup', args.warmup, true),
  only: args.only ? args.only.split(',').map((s) => s.trim()).filter(Boolean) : SCENARIOS,
  json: resolve(args.json),
  backlog: Math.round(positive('backlog', args.backlog)),
  chunkDelay: positive('chunk-delay', args['chunk-delay'], true),
  profile: args.profile ? resolve(args.profile) : undefined,
  probe: args.probe ? resolve(args.probe) : undefined,
  nodeArgs: args['node-args'] ? args['node-args'].split(' ').filter(Boolean) : [],
  // Ingress replicas: the load's connections are spread over them (the front door scaled out, as a deployment does).
  ingress: Math.round(positive('ingress', args.ingress)),
  // Worker processes per ingress (http.ingress.workers): one port, served by N processes (node:cluster).
  workers: Math.round(positive('workers', args.workers)),
  // Open loop: baseline, sync and async at R requests a second on a fixed schedule (bench/open-loop.mjs) instead of
  // as fast as the connections go; latency then counts from each request's scheduled start.
  rate: args.rate === undefined ? undefined : positive('rate', args.rate),
};
for (const s of opts.only) {
  if (!SCENARIOS.includes(s)) {
    console.error(`--only: unknown scenario '${s}' (known: ${SCENARIOS.join(', ')})`);
    process.exit(2);
  }
}
const wanted = (s) => opts.only.includes(s);

// ---------- small helpers ----------
const log = (msg) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);
const round = (n, d = 2) => (n === null || n === undefined || Number.isNaN(n) ? null : Math.round(n * 10 ** d) / 10 ** d);
const clkTck = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** VmHWM / VmRSS in MiB from /proc/<pid>/status; null when the process is gone. */
async function memOf(pid) {
  try {
    const text = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
    return { peak_rss_mib: round(kb('VmHWM') / 1024, 1), rss_mib: round(kb('VmRSS') / 1024, 1) };
  } catch {
    return null;
  }
}

/** User+system CPU seconds a process has used so far; null when it is gone. */
async function cpuOf(pid) {
  if (pid === process.pid) {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  }
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from #3 (state) on
    return (Number(f[11]) + Number(f[12])) / clkTck; // utime (#14), stime (#15)
  } catch {
    return null;
  }
}

async function postJson(url, body) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

// ---------- what is running (all stopped in cleanup) ----------
const state = { upstream: undefined, nats: undefined, mesh: undefined, nc: undefined, cannon: undefined, interrupted: false, starting: [] };

function processes() {
  const list = [];
  if (state.upstream) list.push({ name: 'mock-upstream', pid: state.upstream.pid });
  if (state.mesh) {
    list.push({ name: 'nats-server', pid: state.mesh.nats.pid });
    const seen = {};
    for (const a of state.mesh.apps) {
      seen[a.app] = (seen[a.app] ?? 0) + 1;
      const n = state.mesh.apps.filter((x) => x.app === a.app).length;
      const name = n > 1 ? `${a.app}#${seen[a.app]}` : a.app;
      list.push({ name, pid: a.pid });
      if (a.app === 'ingress' && opts.workers > 1) childPids(a.pid).forEach((pid, i) => list.push({ name: `${name}/w${i + 1}`, pid }));
    }
  }
  list.push({ name: 'bench (load generator)', pid: process.pid });
  return list;
}

/** Machine-wide jiffies from /proc/stat's cpu line: total, idle (+iowait) and steal (time the hypervisor gave to others). */
async function machineTicks() {
  try {
    const f = (await readFile('/proc/stat', 'utf8')).split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
    return { total: f.reduce((a, b) => a + b, 0), idle: f[3] + f[4], steal: f[7] };
  } catch {
    return null;
  }
}

function machineShare(a, b) {
  if (!a || !b || b.total === a.total) return null;
  const t = b.total - a.total;
  return { busy_pct: round(100 - ((b.idle - a.idle) / t) * 100, 0), steal_pct: round(((b.steal - a.steal) / t) * 100, 1) };
}

async function cpuSnapshot() {
  const snap = {};
  for (const p of processes()) snap[p.name] = await cpuOf(p.pid);
  return snap;
}

function cpuPercent(before, after, seconds) {
  const out = {};
  for (const [k, v] of Object.entries(after)) {
    if (v === null || before[k] === null || before[k] === undefined) continue;
    out[k] = round(((v - before[k]) / seconds) * 100, 0);
  }
  return out;
}

let cleaning;
function cleanup() {
  return (cleaning ??= (async () => {
    state.cannon?.stop();
    await Promise.allSettled(state.starting); // a Ctrl-C during start-up still stops what was starting
    await state.nc?.close().catch(() => {});
    await state.mesh?.stop().catch((e) => console.error(`mesh stop: ${e.message}`));
    await state.nats?.stop().catch((e) => console.error(`nats stop: ${e.message}`));
    await state.upstream?.close().catch((e) => console.error(`upstream stop: ${e.message}`));
  })());
}

let signalled = 0;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    signalled++;
    state.interrupted = true;
    if (signalled > 1) {
      console.error(`\n${sig} again: exiting without waiting for the cleanup`);
      process.exit(1);
    }
    console.error(`\n${sig}: stopping the load and every process the bench started...`);
    cleanup().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  });
}

// ---------- load ----------
/** `duration` seconds of load, or exactly `amount` requests when given. */
function cannon(url, body, duration, connections, amount) {
  return new Promise((resolve, reject) => {
    const inst = autocannon(
      { url, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), connections, ...(amount ? { amount } : { duration }), timeout: 30 },
      (err, result) => {
        state.cannon = undefined;
        if (state.interrupted) reject(new Error('interrupted'));
        else if (err) reject(err);
        else resolve(result);
      },
    );
    state.cannon = inst;
  });
}

function summarize(r, expect) {
  const statusCounts = Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([k, v]) => [k, v.count]));
  const responses = Object.values(statusCounts).reduce((a, b) => a + b, 0);
  const expected = statusCounts[String(expect)] ?? 0;
  return {
    requests_per_s: round(r.requests.average, 1),
    requests_total: r.requests.total,
    duration_s: r.duration,
    latency_ms: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, mean: round(r.latency.average), max: r.latency.max },
    expected_status: expect,
    responses,
    expected_responses: expected,
    unexpected_status: responses - expected,
    non_2xx: r.non2xx,
    errors: r.errors, // connection errors, including timeouts
    timeouts: r.timeouts,
    status_counts: statusCounts,
    throughput_mib_s: round(r.throughput.average / 1024 / 1024),
  };
}

// ---------- the mesh's queues ----------
async function queueDepth() {
  const jsm = await jetstreamManager(state.nc);
  const n = names('rr');
  const depth = {};
  for (const s of [n.submitStream, n.dispatchStream]) depth[s] = (await jsm.streams.info(s)).state.messages;
  return depth;
}
const total = (d) => Object.values(d).reduce((a, b) => a + b, 0);

/** Request records in the KV bucket: one subject per record (the bucket keeps several revisions of each, so not its message count). */
async function recordCount() {
  const jsm = await jetstreamManager(state.nc);
  return (await jsm.streams.info(`KV_${names('rr').requestsBucket}`)).state.num_subjects ?? 0; // nats-server leaves it out at 0
}

/** How many request records are in each status (a scan of the bucket: only to explain a mismatch). */
async function recordStatuses() {
  const kv = await new Kvm(state.nc).open(names('rr').requestsBucket);
  const counts = {};
  for await (const k of await kv.keys()) {
    const e = await kv.get(k);
    if (e?.operation !== 'PUT') continue;
    const r = e.json();
    const key = `${r.status}/${r.attempts}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts; // "status/attempts": n
}

/** Waits (bounded) until the submit and dispatch streams are empty and, when given, request `id` is terminal. */
async function waitIdle(timeoutMs, id) {
  const t0 = Date.now();
  let last = { depth: undefined, status: undefined };
  for (;;) {
    if (state.interrupted) throw new Error('interrupted');
    checkAlive();
    const depth = await queueDepth();
    let status;
    if (id) status = (await (await fetch(`${state.mesh.url}/v1/requests/${id}`)).json()).status;
    last = { depth, status };
    if (total(depth) === 0 && (!id || isTerminal(status))) return { idle: true, ms: Date.now() - t0, ...last };
    if (Date.now() - t0 > timeoutMs) return { idle: false, ms: Date.now() - t0, ...last };
    await sleep(100);
  }
}

/** Messages each client connection (by name: reqrun-ingress, …) has sent to nats-server (in) and received (out). */
async function natsMsgs() {
  const url = state.nats?.monitorUrl;
  if (!url) return null;
  const { connections = [] } = await (await fetch(`${url}/connz?limit=4096`)).json();
  const by = {};
  for (const c of connections) {
    const k = (c.name ?? 'unnamed').replace(/^reqrun-/, '');
    by[k] ??= { in: 0, out: 0, conns: 0 };
    by[k].in += c.in_msgs;
    by[k].out += c.out_msgs;
    by[k].conns++;
  }
  return by;
}

/** Per-request NATS messages between two natsMsgs() snapshots (connections that came or went in between are skipped). */
function msgsPerRequest(a, b, requests) {
  if (!a || !b || !requests) return null;
  const out = {};
  let totalIn = 0;
  let totalOut = 0;
  for (const [k, v] of Object.entries(b)) {
    if (k === 'bench' || !a[k] || a[k].conns !== v.conns) continue;
    const inn = (v.in - a[k].in) / requests;
    const o = (v.out - a[k].out) / requests;
    out[k] = { in: round(inn, 2), out: round(o, 2) };
    totalIn += inn;
    totalOut += o;
  }
  out.total = { in: round(totalIn, 2), out: round(totalOut, 2) };
  return out;
}

const adaptersUrl = () => state.mesh.apps.find((a) => a.app === 'adapters').url;
/** The chat endpoint of every ingress replica (autocannon spreads its connections over them); one URL when one. */
const meshChat = () => {
  const urls = state.mesh.apps.filter((a) => a.app === 'ingress').map((a) => `${a.url}/v1/chat/completions`);
  return urls.length > 1 ? urls : urls[0];
};
const oneUrl = (url) => (Array.isArray(url) ? url[0] : url);
const mockCalls = () => metricValue(`${adaptersUrl()}/metrics`, 'reqrun_upstream_calls_total', { provider: 'mock' });

/** The apps' log tails now, to diff against later (at log level warn only warnings and errors reach them). */
function meshLogMarks() {
  return Object.fromEntries(state.mesh.apps.map((a, i) => [i, a.logs()]));
}
function newMeshLogLines(marks) {
  const out = [];
  state.mesh.apps.forEach((a, i) => {
    const before = (marks[i] ?? '').split('\n');
    const now = a.logs().split('\n');
    // The tail keeps the last 200 lines: find where the old tail ends in the new one (all of it is new when nothing overlaps).
    let k = Math.min(before.length, now.length);
    while (k > 0 && !now.slice(0, k).every((l, j) => l === before[before.length - k + j])) k--;
    for (const line of now.slice(k).filter((l) => l.trim())) out.push(`${a.app}[${a.pid}]: ${line}`);
  });
  return out;
}

// ---------- scenarios ----------
const defs = {
  baseline: { title: 'bare upstream', body: chatBody, expect: 200, url: () => `${state.upstream.url}/v1/chat/completions` },
  sync: { title: 'mesh, sync', body: chatBody, expect: 200, url: meshChat },
  async: { title: 'wait:false, processed meanwhile', body: { ...chatBody, wait: false }, expect: 202, url: meshChat },
};

/** One request by hand: the right status and shape, or stop here (a benchmark of error answers means nothing). */
async function preflight(name, d) {
  const r = await postJson(oneUrl(d.url()), d.body);
  const ok =
    r.status === d.expect &&
    (d.expect === 202
      ? r.json?.object === 'chat.completion.async' && typeof r.json?.id === 'string'
      : r.json?.object === 'chat.completion' && r.json?.choices?.[0]?.message?.content === 'Mock reply to: hello');
  if (!ok) throw new Error(`${name}: preflight request answered ${r.status} ${r.text.slice(0, 500)} (expected ${d.expect})`);
  return r.json;
}

/** An app that died on its own makes every later number meaningless: stop with its log (printed by main's catch). */
function checkAlive() {
  const dead = state.mesh?.apps.filter((a) => a.exited) ?? [];
  if (dead.length) throw new Error(`${dead.map((a) => `${a.app} (pid ${a.pid})`).join(', ')} exited unexpectedly`);
}

/** `seconds` of a scenario's load: closed loop (autocannon), or open loop at `--rate`. */
async function load(d, seconds) {
  if (!opts.rate) return summarize(await cannon(d.url(), d.body, seconds, opts.connections), d.expect);
  return openLoad({ urls: d.url(), body: d.body, rate: opts.rate, seconds, connections: opts.connections, expect: d.expect, stopped: () => state.interrupted });
}

async function runScenario(name) {
  const d = defs[name];
  const mesh = name !== 'baseline';
  if (mesh) checkAlive();
  const out = { name, title: d.title, url: d.url(), body: d.body };
  const marks = mesh ? meshLogMarks() : undefined;
  const callsBefore = mesh ? await mockCalls() : undefined;
  const recordsBefore = mesh ? await recordCount() : undefined;
  await preflight(name, d);

  if (opts.warmup > 0) {
    log(`${name}: warm-up ${opts.warmup} s (not recorded)`);
    const w = await load(d, opts.warmup);
    out.warmup = { requests_total: w.requests_total, unexpected_status: w.unexpected_status, errors: w.errors, accepted: name === 'async' ? w.expected_responses : undefined };
  }
  if (mesh) {
    const s = await waitIdle(settleTimeoutMs);
    out.settle_before_ms = s.ms;
    if (!s.idle) log(`${name}: WARNING the mesh still had ${JSON.stringify(s.depth)} queued after ${s.ms} ms; measuring anyway`);
  }

  log(`${name}: measuring ${opts.duration} s with ${opts.connections} connections${opts.rate ? `, open loop at ${opts.rate} req/s` : ''}`);
  const msgs0 = mesh ? await natsMsgs() : null;
  const rec0 = mesh ? await recordCount() : 0;
  const cpu0 = await cpuSnapshot();
  const m0 = await machineTicks();
  const t0 = Date.now();
  const measured = await load(d, opts.duration);
  const tEnd = Date.now();
  const seconds = (tEnd - t0) / 1000;
  const cpu1 = await cpuSnapshot();
  const m1 = await machineTicks();
  Object.assign(out, measured);
  out.measured = { from: t0, to: tEnd };
  out.cpu_percent = cpuPercent(cpu0, cpu1, seconds);
  out.machine_cpu = machineShare(m0, m1); // all cores: how busy, and how much the hypervisor took (noise)

  if (name === 'async') {
    // The mesh keeps working on what it accepted: a sentinel goes in last (first come, first served) and the
    // backlog counts as drained once it is done and both work queues are empty.
    const backlog = await queueDepth();
    const sentinel = await postJson(oneUrl(d.url()), d.body);
    const w = await waitIdle(drainTimeoutMs, sentinel.json?.id);
    out.drain = {
      backlog_at_end: total(backlog),
      drained: w.idle,
      drain_ms: Date.now() - tEnd, // from the end of the measured run (polled every 100 ms)
      sentinel_id: sentinel.json?.id,
      sentinel_status: w.status,
      queue_depth: w.depth,
    };
    if (!w.idle) log(`async: WARNING backlog not drained after ${w.ms} ms: ${JSON.stringify(w.depth)}, sentinel ${w.status}`);
  }
  if (mesh) {
    if (name !== 'async') await waitIdle(settleTimeoutMs); // requests cut off when the load stopped still finish
    // Both queues can be empty for a moment while the ingress still holds requests between storing and queueing
    // them (up to one per connection when the load stops): wait (bounded) until every record made has had its call.
    for (const until = Date.now() + 15_000; Date.now() < until; await sleep(200)) {
      if ((await mockCalls()) - callsBefore >= (await recordCount()) - recordsBefore) break;
    }
    out.provider_calls = (await mockCalls()) - callsBefore;
    out.records_created = (await recordCount()) - recordsBefore;
    if (out.provider_calls !== out.records_created) out.record_statuses = await recordStatuses(); // what the others are doing
    if (name === 'async') {
      // preflight + warm-up + measured 202s + sentinel; requests cut off when autocannon stops may add a few more.
      out.drain.accepted_counted = 1 + (out.warmup?.accepted ?? 0) + out.expected_responses + 1;
      out.drain.processed = out.provider_calls;
      out.drain.records_created = out.records_created;
    }
    // Every message each app exchanged with NATS for the requests of the measured run, until they were all done.
    out.nats_msgs_per_request = msgsPerRequest(msgs0, await natsMsgs(), (await recordCount()) - rec0);
    out.mesh_log = newMeshLogLines(marks);
  }
  return out;
}

// ---------- streaming ----------
const streamBody = () => ({ ...chatBody, stream: true, metadata: { mock_chunk_delay_ms: String(opts.chunkDelay) } });
const pct = (xs, p) => (xs.length ? round(xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]) : null);
const dist = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: pct(s, 50), p90: pct(s, 90), p99: pct(s, 99), mean: round(s.reduce((a, b) => a + b, 0) / (s.length || 1)), max: round(s.at(-1)) };
};

/** One streamed request: its status, the time to its first data event and to its end (ms), and whether it ended with [DONE]. */
async function oneStream(url, payload) {
  const start = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload, signal: AbortSignal.timeout(30_000) });
  const decoder = new TextDecoder();
  let text = '';
  let first = null;
  for await (const part of res.body) {
    text += decoder.decode(part, { stream: true });
    if (first === null && text.includes('data: {')) first = performance.now() - start;
  }
  return { status: res.status, first, total: performance.now() - start, text, whole: text.trimEnd().endsWith('data: [DONE]') };
}

/** `connections` clients, each streaming one request after another for `seconds` (autocannon cannot time a first token). */
async function streamLoad(url, seconds, connections) {
  const payload = JSON.stringify(streamBody());
  const ttft = [];
  const total = [];
  const statusCounts = {};
  let errors = 0;
  let timeouts = 0;
  const t0 = performance.now();
  const until = t0 + seconds * 1000;
  await Promise.all(Array.from({ length: connections }, async () => {
    while (performance.now() < until && !state.interrupted) {
      try {
        const r = await oneStream(url, payload);
        statusCounts[r.status] = (statusCounts[r.status] ?? 0) + 1;
        if (r.status === 200 && r.whole) {
          ttft.push(r.first);
          total.push(r.total);
        }
      } catch (e) {
        errors++;
        if (e?.name === 'TimeoutError') timeouts++;
      }
    }
  }));
  if (state.interrupted) throw new Error('interrupted');
  const duration = (performance.now() - t0) / 1000;
  const responses = Object.values(statusCounts).reduce((a, b) => a + b, 0);
  return {
    requests_per_s: round(total.length / duration, 1), requests_total: total.length, duration_s: round(duration),
    latency_ms: dist(total), ttft_ms: dist(ttft), expected_status: 200, responses, expected_responses: total.length,
    unexpected_status: responses - total.length, errors, timeouts, status_counts: statusCounts,
  };
}

/**
 * Streaming: the mock upstream streams the answer a word at a time, `--chunk-delay` ms apart; then the same through
 * the mesh (the mock provider streams the same pieces at the same pace, relayed adapter -> rr.chunk.<id> -> ingress).
 * Time to first token and to the stream's end, and streams/s, against the upstream's own.
 */
async function runStreaming() {
  checkAlive();
  const upUrl = `${state.upstream.url}/v1/chat/completions`;
  const meshUrl = `${state.mesh.url}/v1/chat/completions`;
  const payload = JSON.stringify(streamBody());
  for (const [who, url] of [['upstream', upUrl], ['mesh', meshUrl]]) {
    const r = await oneStream(url, payload);
    const text = [...r.text.matchAll(/"content":"([^"]*)"/g)].map((m) => m[1]).join('');
    if (r.status !== 200 || !r.whole || text !== 'Mock reply to: hello') throw new Error(`streaming: ${who} preflight answered ${r.status} ${r.text.slice(0, 500)}`);
  }
  const pieces = 'Mock reply to: hello'.split(/(?<=\s)(?=\S)/).length;
  const out = { name: 'streaming', title: 'stream:true vs upstream',  url: meshUrl, body: streamBody(), chunk_delay_ms: opts.chunkDelay, pieces };
  log(`streaming: upstream alone, ${opts.duration} s with ${opts.connections} connections`);
  out.upstream = await streamLoad(upUrl, opts.duration, opts.connections);
  if (opts.warmup > 0) {
    log(`streaming: warm-up ${opts.warmup} s (not recorded)`);
    await streamLoad(meshUrl, opts.warmup, opts.connections);
  }
  await waitIdle(settleTimeoutMs);
  log(`streaming: measuring the mesh ${opts.duration} s with ${opts.connections} connections`);
  const cpu0 = await cpuSnapshot();
  const m0 = await machineTicks();
  const t0 = Date.now();
  Object.assign(out, await streamLoad(meshUrl, opts.duration, opts.connections));
  out.cpu_percent = cpuPercent(cpu0, await cpuSnapshot(), (Date.now() - t0) / 1000);
  out.machine_cpu = machineShare(m0, await machineTicks());
  out.vs_baseline = {
    added_ttft_p50_ms: round(out.ttft_ms.p50 - out.upstream.ttft_ms.p50),
    added_p50_ms: round(out.latency_ms.p50 - out.upstream.latency_ms.p50),
    added_p99_ms: round(out.latency_ms.p99 - out.upstream.latency_ms.p99),
    throughput_ratio: round(out.requests_per_s / out.upstream.requests_per_s, 3),
  };
  await waitIdle(settleTimeoutMs);
  return out;
}

/**
 * Async acceptance alone: the front door's rate. The scheduler and the adapters are stopped, so the ingress and
 * nats-server have the machine (as when the workers run on other hosts); `wait: false` requests (the standard window)
 * are accepted for `--duration` s, then the workers start again and everything accepted must be processed: the
 * drain time, its rate and "every accepted request made its one provider call" are part of the result.
 */
async function runAccept() {
  const url = meshChat();
  const body = { ...chatBody, wait: false };
  const out = { name: 'accept', title: 'wait:false, workers held', url, body };
  checkAlive();
  const marks = meshLogMarks();
  await preflight('accept', { url: () => url, body, expect: 202 });
  await waitIdle(settleTimeoutMs);
  const workers = state.mesh.apps.filter((a) => a.app !== 'ingress');
  log(`accept: stopping the scheduler and the adapters, then accepting for ${opts.duration} s with ${opts.connections} connections`);
  for (const w of workers) await w.stop();
  const rec0 = await recordCount();
  if (opts.warmup > 0) await cannon(url, body, opts.warmup, opts.connections);
  const cpu0 = await cpuSnapshot();
  const m0 = await machineTicks();
  const t0 = Date.now();
  const raw = await cannon(url, body, opts.duration, opts.connections);
  const seconds = (Date.now() - t0) / 1000;
  Object.assign(out, summarize(raw, 202));
  out.cpu_percent = cpuPercent(cpu0, await cpuSnapshot(), seconds);
  out.machine_cpu = machineShare(m0, await machineTicks());
  await sleep(200); // requests cut off when the load stopped are still being stored
  const accepted = (await recordCount()) - rec0;

  log(`accept: ${accepted} stored (warm-up included); starting the scheduler and the adapters to process them`);
  const tStart = Date.now();
  for (const w of workers) await w.restart();
  const limit = Math.max(120_000, accepted * 20);
  let calls = 0;
  let depth;
  for (;;) {
    if (state.interrupted) throw new Error('interrupted');
    checkAlive();
    calls = await mockCalls(); // the restarted adapters count from 0: every call is one of these
    depth = await queueDepth();
    if ((calls >= accepted && total(depth) === 0) || Date.now() - tStart > limit) break;
    await sleep(250);
  }
  const drainS = (Date.now() - tStart) / 1000;
  out.drain = { accepted, drained: calls >= accepted && total(depth) === 0, completed: calls, drain_s: round(drainS, 1), completions_per_s: round(calls / drainS, 1), queue_depth: depth };
  out.provider_calls = calls;
  out.records_created = accepted;
  out.mesh_log = newMeshLogLines(marks);
  if (!out.drain.drained) log(`accept: WARNING not drained after ${round(drainS, 1)} s: ${calls}/${accepted} completed, ${JSON.stringify(depth)} queued`);
  return out;
}

/**
 * Deep backlog: with the adapters stopped (nothing is called), N `wait: false` requests are accepted as fast as
 * `--connections` allow and the scheduler routes them all to the dispatch queue; then the adapters start and drain it.
 * Reports acceptance (req/s, latency), the drain rate (completions/s from the adapters' start) and every process's
 * RSS sampled during the drain.
 */
async function runBacklog() {
  const n = opts.backlog;
  const url = meshChat();
  const body = { ...chatBody, wait: false, completion_window: 'asap' };
  const out = { name: 'backlog', title: `${n} queued, then drained`, url, body, backlog: n };
  const marks = meshLogMarks();
  await preflight('backlog', { url: () => url, body, expect: 202 });
  await waitIdle(settleTimeoutMs);
  const adapters = state.mesh.apps.find((a) => a.app === 'adapters');
  log(`backlog: stopping the adapters, then queueing ${n} requests with ${opts.connections} connections`);
  await adapters.stop();
  const rec0 = await recordCount();
  const m0 = await machineTicks();
  const cpu0 = await cpuSnapshot();
  const t0 = Date.now();
  const raw = await cannon(url, body, undefined, opts.connections, n);
  const seconds = (Date.now() - t0) / 1000;
  Object.assign(out, summarize(raw, 202));
  out.cpu_percent = cpuPercent(cpu0, await cpuSnapshot(), seconds);
  out.machine_cpu = machineShare(m0, await machineTicks());
  const accepted = (await recordCount()) - rec0;
  out.accepted = accepted;

  // The scheduler routes everything into the dispatch queue (no adapter is there to take it).
  const tRoute = Date.now();
  let depth;
  for (;;) {
    depth = await queueDepth();
    if (depth[names('rr').submitStream] === 0 || Date.now() - tRoute > drainTimeoutMs) break;
    await sleep(100);
  }
  out.routed_ms = Date.now() - t0;
  out.queue_before_drain = depth;

  log(`backlog: ${accepted} accepted (${out.requests_per_s} req/s); starting the adapters to drain ${total(depth)} queued`);
  const peak = {};
  const sample = async () => {
    for (const p of processes()) {
      const m = await memOf(p.pid);
      if (m) peak[p.name] = Math.max(peak[p.name] ?? 0, m.rss_mib);
    }
  };
  const tStart = Date.now();
  await adapters.restart(); // resolves once ready; it starts taking work before that
  const tReady = Date.now();
  const cpuD0 = await cpuSnapshot(); // from here: the new adapters process is in the snapshot
  const md0 = await machineTicks();
  const samples = [];
  const limit = Math.max(120_000, n * 20); // 50 completions/s at the very least
  let calls = 0;
  for (;;) {
    if (state.interrupted) throw new Error('interrupted');
    checkAlive();
    await sample();
    calls = await mockCalls();
    depth = await queueDepth();
    samples.push({ t_ms: Date.now() - tStart, completed: calls, queued: total(depth) });
    if ((calls >= accepted && total(depth) === 0) || Date.now() - tStart > limit) break;
    await sleep(500);
  }
  const tDone = Date.now();
  const drainS = (tDone - tStart) / 1000;
  out.cpu_percent_drain = cpuPercent(cpuD0, await cpuSnapshot(), (tDone - tReady) / 1000);
  out.machine_cpu_drain = machineShare(md0, await machineTicks());
  out.drain = {
    drained: calls >= accepted && total(depth) === 0,
    completed: calls,
    adapters_start_ms: tReady - tStart,
    drain_s: round(drainS, 1),
    completions_per_s: round(calls / drainS, 1),
    completions_per_s_after_ready: round((calls - (samples.find((x) => x.t_ms >= tReady - tStart)?.completed ?? 0)) / Math.max(0.001, (tDone - tReady) / 1000), 1),
    rss_peak_mib_during_drain: peak,
    samples,
  };
  out.provider_calls = calls;
  out.records_created = accepted;
  out.mesh_log = newMeshLogLines(marks);
  if (!out.drain.drained) log(`backlog: WARNING not drained after ${drainS} s: ${calls}/${accepted} completed, ${JSON.stringify(depth)} queued`);
  return out;
}

// ---------- report ----------
function pad(s, n, left = false) {
  s = String(s ?? '—');
  return left ? s.padEnd(n) : s.padStart(n);
}

function printReport(report) {
  const cols = [
    ['scenario', 26, true], ['req/s', 9], ['p50 ms', 7], ['p99 ms', 7], ['avg ms', 7], ['responses', 10],
    ['bad status', 11], ['errors', 7], ['+p50 vs base', 13], ['x base req/s', 13],
  ];
  const line = (vals) => cols.map(([, w, l], i) => pad(vals[i], w, l)).join(' ');
  console.log('');
  console.log(`ReqRun bench — ${report.config.connections} connections, ${report.config.duration_s} s per scenario (+${report.config.warmup_s} s warm-up)${report.config.ingress_replicas > 1 ? `, ${report.config.ingress_replicas} ingress replicas` : ''}${report.config.ingress_workers > 1 ? `, ${report.config.ingress_workers} ingress workers` : ''}${report.config.rate ? `, open loop at ${report.config.rate} req/s (baseline, sync, async; latency from each request's scheduled start)` : ''}, ${report.machine.cores} × ${report.machine.cpu}, node ${report.machine.node}`);
  console.log(line(cols.map((c) => c[0])));
  console.log(line(cols.map(([, w]) => '-'.repeat(w))));
  for (const s of report.scenarios) {
    console.log(
      line([
        `${s.name} (${s.title})`, s.requests_per_s, s.latency_ms.p50, s.latency_ms.p99, s.latency_ms.mean, s.responses,
        s.unexpected_status, s.errors,
        s.vs_baseline ? `+${s.vs_baseline.added_p50_ms} ms` : s.name === 'baseline' ? '' : 'n/a',
        s.vs_baseline ? `${s.vs_baseline.throughput_ratio}x` : s.name === 'baseline' ? '1x' : 'n/a',
      ]),
    );
  }
  console.log(`(bad status = answers other than ${report.scenarios.map((s) => `${s.expected_status} for ${s.name}`).join(', ')}; errors = connection errors and timeouts;`);
  console.log(' +p50 vs base = scenario p50 - baseline p50; x base req/s = scenario req/s / baseline req/s)');
  for (const s of report.scenarios) {
    const other = Object.keys(s.status_counts).filter((k) => k !== String(s.expected_status));
    if (other.length || s.errors) {
      console.log(`  ! ${s.name}: statuses ${JSON.stringify(s.status_counts)}, ${s.errors} errors (${s.timeouts} timeouts)`);
    }
  }
  console.log('');
  console.log('CPU during the measured run (per process: % of one core; machine: % of all cores):');
  for (const s of report.scenarios) {
    const m = s.machine_cpu ? ` | machine ${s.machine_cpu.busy_pct}% busy, ${s.machine_cpu.steal_pct}% steal` : '';
    console.log(`  ${pad(s.name, 9, true)} ${Object.entries(s.cpu_percent).map(([k, v]) => `${k} ${v}%`).join(', ')}${m}`);
  }
  const a = report.scenarios.find((s) => s.name === 'async');
  if (a?.drain) {
    console.log('');
    console.log(
      `async backlog: ${a.drain.backlog_at_end} queued when the load stopped; ${a.drain.drained ? `drained in ${(a.drain.drain_ms / 1000).toFixed(1)} s` : `NOT drained after ${(a.drain.drain_ms / 1000).toFixed(1)} s`}` +
        `; ${a.drain.records_created} records created, ${a.drain.processed} provider calls, ${a.drain.accepted_counted} 202s counted (incl. warm-up, preflight, sentinel)`,
    );
  }
  const ac = report.scenarios.find((s) => s.name === 'accept');
  if (ac?.drain) {
    const d = ac.drain;
    console.log(
      `accept: ${d.accepted} stored with the scheduler and adapters stopped (warm-up included), then ${d.drained ? 'all processed' : 'NOT all processed'}: ` +
        `${d.completed} provider calls in ${d.drain_s} s (${d.completions_per_s}/s, the workers' start included)`,
    );
  }
  const st = report.scenarios.find((s) => s.name === 'streaming');
  if (st) {
    const u = st.upstream;
    console.log('');
    console.log(
      `streaming (${st.pieces} pieces, ${st.chunk_delay_ms} ms apart; mesh vs the upstream streaming the same pieces): ` +
        `first token p50 ${st.ttft_ms.p50} ms (upstream ${u.ttft_ms.p50} ms, +${st.vs_baseline.added_ttft_p50_ms} ms), p99 ${st.ttft_ms.p99} ms (upstream ${u.ttft_ms.p99} ms); ` +
        `whole stream p50 ${st.latency_ms.p50} ms (upstream ${u.latency_ms.p50} ms), p99 ${st.latency_ms.p99} ms (upstream ${u.latency_ms.p99} ms); ` +
        `${st.requests_per_s} streams/s vs ${u.requests_per_s} (x${st.vs_baseline.throughput_ratio})`,
    );
  }
  const b = report.scenarios.find((s) => s.name === 'backlog');
  if (b?.drain) {
    const d = b.drain;
    console.log(
      `backlog: ${b.accepted} accepted at ${b.requests_per_s} req/s (adapters stopped), all routed to the dispatch queue ${(b.routed_ms / 1000).toFixed(1)} s after the first; ` +
        `${d.drained ? 'drained' : 'NOT drained'}: ${d.completed} completed in ${d.drain_s} s = ${d.completions_per_s}/s from the adapters' start (${d.completions_per_s_after_ready}/s once ready, start took ${d.adapters_start_ms} ms)`,
    );
    console.log(`  RSS peak during the drain: ${Object.entries(d.rss_peak_mib_during_drain).map(([k, v]) => `${k} ${v} MiB`).join(', ')}`);
    console.log(`  CPU during the drain (once the adapters were ready): ${Object.entries(b.cpu_percent_drain).map(([k, v]) => `${k} ${v}%`).join(', ')}${b.machine_cpu_drain ? ` | machine ${b.machine_cpu_drain.busy_pct}% busy` : ''}`);
  }
  const withMsgs = report.scenarios.filter((s) => s.nats_msgs_per_request);
  if (withMsgs.length) {
    console.log('');
    console.log('NATS messages per request (from nats-server /connz: in = sent by the app, out = delivered to it):');
    for (const s of withMsgs) console.log(`  ${pad(s.name, 9, true)} ${Object.entries(s.nats_msgs_per_request).map(([k, v]) => `${k} ${v.in} in / ${v.out} out`).join(', ')}`);
  }
  for (const s of report.scenarios) {
    if (s.provider_calls !== undefined && s.provider_calls !== s.records_created) {
      console.log(`  ! ${s.name}: ${s.provider_calls} provider calls for ${s.records_created} request records (expected one call each)${s.record_statuses ? `; records by status/attempts now: ${JSON.stringify(s.record_statuses)}` : ''}`);
    }
  }
  console.log('');
  console.log('Peak RSS (VmHWM) at the end:');
  for (const p of report.processes) console.log(`  ${pad(p.name, 24, true)} pid ${pad(p.pid, 7, true)} ${p.peak_rss_mib === null ? 'gone' : `${p.peak_rss_mib} MiB`}`);
  const meshTotal = report.processes.filter((p) => !['mock-upstream', 'bench (load generator)'].includes(p.name)).reduce((s, p) => s + (p.peak_rss_mib ?? 0), 0);
  if (report.processes.some((p) => p.name === 'nats-server')) console.log(`  ${pad('mesh total (sum of peaks)', 24, true)}             ${round(meshTotal, 1)} MiB`);
  for (const s of report.scenarios) {
    if (s.mesh_log?.length) {
      console.log('');
      console.log(`Mesh log lines (warn and worse) during ${s.name}: ${s.mesh_log.length}; last ones:`);
      for (const l of s.mesh_log.slice(-15)) console.log(`  ${l.slice(0, 400)}`);
    }
  }
}

// ---------- main ----------
/** Records what `p` starts as soon as it is up (so cleanup can stop it), and gives up when interrupted meanwhile. */
async function starting(p, keep) {
  const kept = p.then(keep);
  state.starting.push(kept);
  await kept;
  if (state.interrupted) throw new Error('interrupted');
}

async function main() {
  const startedAt = new Date();
  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    total_mem_mib: Math.round(os.totalmem() / 1024 / 1024),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadavg_at_start: os.loadavg().map((x) => round(x)),
    date: startedAt.toISOString(),
  };
  log(`scenarios: ${opts.only.join(', ')}; ${opts.connections} connections, ${opts.duration} s each (+${opts.warmup} s warm-up); load average ${machine.loadavg_at_start.join(' ')}`);

  if (wanted('baseline') || wanted('streaming')) {
    await starting(startMockUpstream(), (u) => (state.upstream = u));
    log(`mock upstream ${state.upstream.url} (pid ${state.upstream.pid})`);
  }
  if (['sync', 'async', 'accept', 'streaming', 'backlog'].some(wanted)) {
    log(`starting the mesh (nats-server, adapters, scheduler, ingress)${opts.profile ? `, each app with --cpu-prof into ${opts.profile}` : ''}...`);
    const loopback = { host: '127.0.0.1' };
    if (opts.profile) await mkdir(opts.profile, { recursive: true });
    await starting(startNats({ monitorPort: 0 }), (s) => (state.nats = s));
    await starting(
      startMesh({
        nats: state.nats,
        apps: { ingress: opts.ingress },
        config: { log: { level: 'warn' }, http: { ingress: { ...loopback, workers: opts.workers }, scheduler: loopback, adapters: loopback } },
        env: { REQRUN_LOG_LEVEL: 'warn' },
        nodeArgs: (app) => [
          ...opts.nodeArgs,
          ...(opts.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(opts.profile, app)}`] : []),
          ...(opts.probe ? ['--import', join(here, 'loop-probe.mjs')] : []),
        ],
        ...(opts.probe ? { env: { REQRUN_LOG_LEVEL: 'warn', LOOP_PROBE_DIR: opts.probe } } : {}),
      }),
      (m) => (state.mesh = m),
    );
    await starting(connect({ servers: state.mesh.nats.url }), (nc) => (state.nc = nc));
    log(`mesh up: ingress ${state.mesh.url}; ${state.mesh.apps.map((a) => `${a.app} pid ${a.pid}`).join(', ')}; nats pid ${state.mesh.nats.pid}`);
  }

  const scenarios = [];
  for (const name of SCENARIOS.filter(wanted)) {
    if (state.interrupted) break;
    const run = { backlog: runBacklog, streaming: runStreaming, accept: runAccept }[name] ?? (() => runScenario(name));
    const s = await run();
    scenarios.push(s);
    log(`${name}: ${s.requests_per_s} req/s, p50 ${s.latency_ms.p50} ms, p99 ${s.latency_ms.p99} ms, ${s.unexpected_status} unexpected statuses, ${s.errors} errors`);
  }
  const base = scenarios.find((s) => s.name === 'baseline');
  for (const s of scenarios) {
    if (s.name === 'baseline' || s.name === 'streaming' || !base) continue; // streaming has its own streamed baseline
    s.vs_baseline = {
      added_p50_ms: round(s.latency_ms.p50 - base.latency_ms.p50, 2),
      added_p99_ms: round(s.latency_ms.p99 - base.latency_ms.p99, 2),
      throughput_ratio: round(s.requests_per_s / base.requests_per_s, 3),
    };
  }

  const procs = [];
  for (const p of processes()) procs.push({ ...p, ...((await memOf(p.pid)) ?? { peak_rss_mib: null, rss_mib: null }) });

  const report = {
    machine,
    config: { connections: opts.connections, duration_s: opts.duration, warmup_s: opts.warmup, only: opts.only, ingress_replicas: opts.ingress, ingress_workers: opts.workers, rate: opts.rate },
    scenarios,
    processes: procs,
    finished_at: new Date().toISOString(),
    loadavg_at_end: os.loadavg().map((x) => round(x)),
  };
  printReport(report);
  await mkdir(dirname(opts.json), { recursive: true });
  await writeFile(opts.json, JSON.stringify(report, null, 2) + '\n');
  console.log(`\nJSON: ${opts.json}`);
  const bad = scenarios.filter((s) => s.unexpected_status || s.errors || (s.drain && !s.drain.drained));
  if (opts.profile) {
    log('stopping the mesh so each app writes its CPU profile...');
    await cleanup();
    console.log('');
    console.log(await summarizeProfiles(opts.profile));
  }
  for (const s of opts.probe ? scenarios.filter((s) => s.measured && s.name !== 'baseline') : []) {
    const { from, to } = s.measured;
    console.log(`\n${s.name}: event loop and GC per app during the measured run (bench/loop-summary.mjs ${opts.probe} --from ${from} --to ${to}):`);
    console.log(summarizeLoops(opts.probe, { from, to }));
  }
  return bad.length ? 1 : 0;
}

let code = 1;
try {
  code = await main();
} catch (e) {
  if (!state.interrupted) {
    console.error(`\nbench failed: ${e.stack ?? e}`);
    if (state.mesh) for (const a of state.mesh.apps) console.error(`--- ${a.app} (pid ${a.pid}${a.exited ? ', exited' : ''}) log tail ---\n${a.logs().split('\n').slice(-30).join('\n')}`);
  }
} finally {
  if (!state.interrupted) {
    log('stopping everything...');
    await cleanup();
    process.exit(code);
  }
}

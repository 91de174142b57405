// Batch benchmark: what the Batch API costs over sending the same requests one by one.
// Usage: npm run build && node bench/batch.mjs [--n 10000] [--connections 64] [--pad BYTES] [--only batch] [--json bench/results/batch.json]
//
// One mesh, two runs of the same N chat requests in the `batch` window (mock provider at 0 ms):
//   1. baseline: N `wait: false` requests posted over HTTP (`--connections` at once), then until every one is done;
//   2. batch: the same N as a JSONL file, uploaded (POST /v1/files), a batch created on it, polled until completed,
//      and its output file downloaded.
// Reported: each run's wall time and requests/s, the batch's phases (upload, validating -> in_progress, until
// completed, download), the ratio batch/baseline, and each process's peak RSS and CPU seconds.
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { metricValue, startMesh } from '../dist/libs/testing/src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '10000' },
    connections: { type: 'string', default: '64' },
    // Characters added to each message: a larger file (OpenAI allows 200 MB) and what holding it costs the ingress.
    pad: { type: 'string', default: '0' },
    // `batch`: skip the one-by-one baseline (a memory run with a large file).
    only: { type: 'string' },
    json: { type: 'string', default: resolve(here, 'results', 'batch.json') },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log('node bench/batch.mjs [--n 10000] [--connections 64] [--pad BYTES] [--only batch] [--json bench/results/batch.json]');
  process.exit(0);
}
const N = Number(args.n);
const C = Number(args.connections);
const log = (m) => console.log(`[batch ${new Date().toISOString().slice(11, 19)}] ${m}`);
const PAD = 'x'.repeat(Number(args.pad));
const body = (i) => ({ model: 'mock-1', messages: [{ role: 'user', content: `line ${i} ${PAD}` }] });
const baselineToo = args.only !== 'batch';

const mesh = await startMesh({
  env: { REQRUN_LOG_LEVEL: 'warn' },
  config: {
    log: { level: 'warn' },
    providers: [{ name: 'mock', type: 'mock', concurrency: 64 }],
    models: { 'mock-1': { targets: [{ provider: 'mock' }] } },
    // A batch's next look comes poll_ms after the last, growing: 1 s keeps the wait for the last look short.
    batches: { poll_ms: 1000 },
  },
});
process.on('SIGINT', () => void mesh.stop().then(() => process.exit(130)));
const url = mesh.url;
const procs = () => [{ name: 'nats-server', pid: mesh.nats.pid }, ...mesh.apps.map((a) => ({ name: a.app, pid: a.pid }))];
const adapters = mesh.apps.find((a) => a.app === 'adapters');
const calls = () => metricValue(`${adapters.url}/metrics`, 'reqrun_upstream_calls_total', { provider: 'mock' });

async function usage() {
  const out = {};
  for (const p of procs()) {
    try {
      const status = await readFile(`/proc/${p.pid}/status`, 'utf8');
      const f = (await readFile(`/proc/${p.pid}/stat`, 'utf8')).split(') ')[1].split(' ');
      out[p.name] = { peak_rss_mib: Math.round(Number(/^VmHWM:\s+(\d+)/m.exec(status)[1]) / 102.4) / 10, cpu_s: (Number(f[11]) + Number(f[12])) / 100 };
    } catch {
      out[p.name] = null;
    }
  }
  return out;
}
const cpuDelta = (a, b) => Object.fromEntries(Object.keys(b).map((k) => [k, b[k] && a[k] ? Math.round((b[k].cpu_s - a[k].cpu_s) * 100) / 100 : null]));
const post = async (path, payload) => {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
  if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
};
const untilCalls = async (target) => {
  while ((await calls()) < target) await sleep(100);
};

// ---------- 1. baseline: the same requests one by one ----------
let acceptedMs = 0;
let baselineMs = 0;
const u0 = await usage();
if (baselineToo) {
  log(`baseline: ${N} wait:false batch-window requests over ${C} connections`);
  const calls0 = await calls();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: C }, async () => {
    while (next < N) {
      const i = next++;
      await post('/v1/chat/completions', { ...body(i), wait: false, completion_window: 'batch' });
    }
  }));
  acceptedMs = performance.now() - t0;
  await untilCalls(calls0 + N);
  baselineMs = performance.now() - t0;
  log(`baseline: accepted in ${(acceptedMs / 1000).toFixed(1)} s, all done in ${(baselineMs / 1000).toFixed(1)} s (${Math.round(N / (baselineMs / 1000))} req/s)`);
}
const u1 = await usage();

// ---------- 2. the same requests as one batch ----------
const jsonl = Array.from({ length: N }, (_, i) => JSON.stringify({ custom_id: `c${i}`, method: 'POST', url: '/v1/chat/completions', body: body(i) })).join('\n') + '\n';
log(`batch: uploading ${N} lines (${(jsonl.length / 1048576).toFixed(1)} MiB)`);
const calls1 = await calls();
const t1 = performance.now();
const form = new FormData();
form.append('purpose', 'batch');
form.append('file', new Blob([jsonl], { type: 'application/jsonl' }), 'bench.jsonl');
const up = await fetch(`${url}/v1/files`, { method: 'POST', body: form });
if (up.status !== 200) throw new Error(`upload: ${up.status} ${await up.text()}`);
const file = await up.json();
const uploadMs = performance.now() - t1;
let b = await post('/v1/batches', { input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
let inProgressMs = null;
while (!['completed', 'failed', 'expired', 'cancelled'].includes(b.status)) {
  await sleep(100);
  b = await (await fetch(`${url}/v1/batches/${b.id}`)).json();
  if (inProgressMs === null && b.status !== 'validating') inProgressMs = performance.now() - t1;
}
const completedMs = performance.now() - t1;
if (b.status !== 'completed' || b.request_counts.completed !== N) throw new Error(`batch ended ${b.status}: ${JSON.stringify(b.request_counts)} ${JSON.stringify(b.errors)}`);
const out = await (await fetch(`${url}/v1/files/${b.output_file_id}/content`)).text();
const batchMs = performance.now() - t1;
const lines = out.trimEnd().split('\n').length;
const u2 = await usage();
const batchCalls = (await calls()) - calls1;
log(`batch: upload ${(uploadMs / 1000).toFixed(2)} s, in_progress at ${((inProgressMs ?? 0) / 1000).toFixed(2)} s, completed at ${(completedMs / 1000).toFixed(1)} s, output (${lines} lines, ${(out.length / 1048576).toFixed(1)} MiB) read at ${(batchMs / 1000).toFixed(1)} s: ${Math.round(N / (batchMs / 1000))} lines/s; ${batchCalls} provider calls`);

const report = {
  at: new Date().toISOString(), n: N, connections: C,
  baseline: baselineToo ? { accepted_s: acceptedMs / 1000, done_s: baselineMs / 1000, requests_per_s: N / (baselineMs / 1000), cpu_s: cpuDelta(u0, u1) } : null,
  batch: {
    upload_s: uploadMs / 1000, in_progress_s: (inProgressMs ?? 0) / 1000, completed_s: completedMs / 1000, with_download_s: batchMs / 1000,
    lines_per_s: N / (batchMs / 1000), output_lines: lines, provider_calls: batchCalls, input_mib: jsonl.length / 1048576, output_mib: out.length / 1048576, cpu_s: cpuDelta(u1, u2),
  },
  ratio_batch_to_baseline: baselineToo ? (N / (batchMs / 1000)) / (N / (baselineMs / 1000)) : null,
  peak_rss_mib: Object.fromEntries(Object.entries(u2).map(([k, v]) => [k, v?.peak_rss_mib ?? null])),
};
console.log('');
console.log(`ReqRun batch bench — ${N} chat requests, batch window, mock at 0 ms`);
if (baselineToo) console.log(`  one by one (wait:false, ${C} connections): ${report.baseline.requests_per_s.toFixed(0)} req/s (accepted in ${report.baseline.accepted_s.toFixed(1)} s, done in ${report.baseline.done_s.toFixed(1)} s)`);
console.log(`  as one batch: ${report.batch.lines_per_s.toFixed(0)} lines/s (upload ${report.batch.upload_s.toFixed(2)} s, done ${report.batch.completed_s.toFixed(1)} s, output read ${report.batch.with_download_s.toFixed(1)} s)${baselineToo ? ` = x${report.ratio_batch_to_baseline.toFixed(2)}` : ''}`);
if (baselineToo) console.log(`  CPU seconds, one by one: ${JSON.stringify(report.baseline.cpu_s)}`);
console.log(`  CPU seconds, as a batch: ${JSON.stringify(report.batch.cpu_s)}`);
console.log(`  peak RSS (MiB): ${JSON.stringify(report.peak_rss_mib)}`);
await mkdir(dirname(resolve(args.json)), { recursive: true });
await writeFile(resolve(args.json), JSON.stringify(report, null, 2));
console.log(`JSON: ${resolve(args.json)}`);
await mesh.stop();

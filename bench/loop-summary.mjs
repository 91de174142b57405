// Summarizes bench/loop-probe.mjs's samples: per app, over the whole seconds between --from and --to (epoch ms; all
// seconds when omitted) in which it was busy (CPU ≥ --busy % of a core, default 30): the median and worst event-loop
// delay p99, the longest stall, CPU, and GC time per second by kind.
// node bench/loop-summary.mjs DIR [--from MS --to MS] [--busy 30]
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const med = (xs) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : NaN);
const r1 = (x) => Math.round(x * 10) / 10;

export function summarizeLoops(dir, { from = 0, to = Infinity, busy = 30 } = {}) {
  const out = [];
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort()) {
    const rows = readFileSync(join(dir, f), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
      .filter((r) => r.t - r.wall_ms >= from && r.t <= to && (100 * r.cpu_ms) / r.wall_ms >= busy);
    if (!rows.length) continue;
    const gcPerS = {};
    let gcMax = 0;
    for (const r of rows) for (const [k, g] of Object.entries(r.gc)) {
      gcPerS[k] = (gcPerS[k] ?? 0) + g.ms / rows.length;
      gcMax = Math.max(gcMax, g.max);
    }
    const gcTotal = Object.values(gcPerS).reduce((a, b) => a + b, 0);
    out.push(`${f.replace('.jsonl', '')}: ${rows.length} busy s, CPU ${r1(med(rows.map((r) => (100 * r.cpu_ms) / r.wall_ms)))}% of a core (median)`
      + ` | loop delay p50 ${r1(med(rows.map((r) => r.eld.p50)))} ms, p99 median ${r1(med(rows.map((r) => r.eld.p99)))} / worst ${r1(Math.max(...rows.map((r) => r.eld.p99)))} ms, max ${r1(Math.max(...rows.map((r) => r.eld.max)))} ms`
      + ` | GC ${r1(gcTotal)} ms/s (${Object.entries(gcPerS).map(([k, v]) => `${k} ${r1(v)}`).join(', ')}), longest pause ${r1(gcMax)} ms,`
      + ` ${r1(med(rows.map((r) => Object.values(r.gc).reduce((a, g) => a + g.n, 0))))} GCs/s`);
  }
  return out.join('\n');
}

if (resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) {
  const { values: v, positionals } = parseArgs({ allowPositionals: true, options: { from: { type: 'string' }, to: { type: 'string' }, busy: { type: 'string', default: '30' } } });
  console.log(summarizeLoops(positionals[0], { from: Number(v.from ?? 0), to: Number(v.to ?? Infinity), busy: Number(v.busy) }));
}

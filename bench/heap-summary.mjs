// The allocation sites of a sampling heap profile (bench/loop-probe.mjs with LOOP_PROBE_HEAP=1), by self bytes:
// node bench/heap-summary.mjs FILE [--top 25]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: a, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
const { head } = JSON.parse(readFileSync(positionals[0], 'utf8'));
const sites = new Map();
let total = 0;
(function walk(node) {
  const self = node.selfSize;
  total += self;
  const f = node.callFrame;
  const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, '')}:${f.lineNumber + 1}`;
  sites.set(key, (sites.get(key) ?? 0) + self);
  for (const c of node.children) walk(c);
})(head);
console.log(`${(total / 1048576).toFixed(0)} MiB sampled`);
for (const [k, v] of [...sites].sort((x, y) => y[1] - x[1]).slice(0, Number(a.top))) console.log(`${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`);

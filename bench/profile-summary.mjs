// Where the CPU time goes, from the .cpuprofile files `npm run bench -- --profile DIR` leaves in DIR/<app>/:
// per app, the share of samples by package (node internals, each node_modules package, ReqRun's own libs and app)
// and the top functions by self time.
//   node bench/profile-summary.mjs DIR [--top N]
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));

/** Which package a frame belongs to: `node:internal`, `fastify`, `@nats-io/kv`, `reqrun libs/store`, … */
function packageOf(url, name) {
  if (!url) return name.startsWith('(') ? name : '(native / V8)';
  if (url.startsWith('node:')) return 'node internals';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1];
  const ours = /dist\/((?:libs|apps)\/[^/]+)/.exec(url);
  if (ours) return `reqrun ${ours[1]}`;
  return url;
}

function where(url, line) {
  if (!url) return '';
  const path = url.startsWith('file://') ? relative(repo, fileURLToPath(url)) : url;
  return `${path.replace(/^.*node_modules\//, '')}:${line + 1}`;
}

/** Self time per function and per package (ms), summed over every profile given. */
export async function summarizeFiles(files) {
  const byFn = new Map();
  const byPkg = new Map();
  let total = 0;
  for (const f of files) {
    const p = JSON.parse(await readFile(f, 'utf8'));
    const nodes = new Map(p.nodes.map((n) => [n.id, n]));
    const self = new Map();
    p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000));
    for (const [id, ms] of self) {
      const { functionName, url, lineNumber } = nodes.get(id).callFrame;
      const name = functionName || '(anonymous)';
      const key = `${name} ${where(url, lineNumber)}`.trim();
      byFn.set(key, (byFn.get(key) ?? 0) + ms);
      const pkg = packageOf(url, name);
      byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + ms);
      total += ms;
    }
  }
  const sorted = (m) => [...m].sort((a, b) => b[1] - a[1]);
  return { total, functions: sorted(byFn), packages: sorted(byPkg) };
}

export async function summarizeProfiles(dir, top = 15) {
  const lines = [`CPU profiles in ${dir} (self time; (idle) = waiting for I/O):`];
  let apps;
  try {
    apps = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  } catch (e) {
    return `no profiles: ${e.message}`;
  }
  for (const app of apps) {
    const files = (await readdir(join(dir, app))).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, app, f));
    if (!files.length) continue;
    const s = await summarizeFiles(files);
    const idle = s.functions.filter(([k]) => k.startsWith('(idle)')).reduce((a, [, v]) => a + v, 0);
    const busy = s.total - idle;
    const pct = (ms) => `${((ms / busy) * 100).toFixed(1)}%`;
    lines.push('', `== ${app} (${files.length} profile${files.length > 1 ? 's' : ''}): ${(s.total / 1000).toFixed(1)} s sampled, ${(busy / 1000).toFixed(1)} s busy; shares are of busy time`);
    lines.push(`  by package: ${s.packages.filter(([k]) => k !== '(idle)').slice(0, 12).map(([k, v]) => `${k} ${pct(v)}`).join(', ')}`);
    lines.push('  top functions:');
    for (const [k, v] of s.functions.filter(([k]) => !k.startsWith('(idle)')).slice(0, top)) lines.push(`    ${pct(v).padStart(6)}  ${k}`);
  }
  return lines.join('\n');
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node bench/profile-summary.mjs DIR [--top N]');
    process.exit(2);
  }
  const i = process.argv.indexOf('--top');
  console.log(await summarizeProfiles(dir, i > 0 ? Number(process.argv[i + 1]) : 15));
}

// Preloaded into an app (`node --import ./bench/stall-probe.mjs`, see tail-windows.mjs): appends to
// $STALL_PROBE_DIR/<app>.<pid>.jsonl, with wall-clock times, every GC pause of 4 ms or more (by kind) and every
// event-loop stall of 15 ms or more (a 5 ms timer that fired that late), to line them up with the slow requests.
import { appendFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PerformanceObserver, constants } from 'node:perf_hooks';

const dir = process.env.STALL_PROBE_DIR;
if (dir) {
  const app = basename(dirname(dirname(process.argv[1] ?? 'app/src/x'))); // dist/apps/<app>/src/main.js
  const file = join(dir, `${app}.${process.pid}.jsonl`);
  const kinds = {
    [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor', [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental', [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
  };
  const rows = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.duration >= 4) rows.push({ at: Math.round(performance.timeOrigin + e.startTime), gc: kinds[e.detail?.kind] ?? 'other', ms: Math.round(e.duration) });
    }
  }).observe({ entryTypes: ['gc'] });
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    const late = now - last - 5;
    if (late >= 15) rows.push({ at: Math.round(performance.timeOrigin + last + 5), stall: Math.round(late) });
    last = now;
  }, 5).unref();
  setInterval(() => {
    if (rows.length > 0) appendFileSync(file, rows.splice(0).map((r) => JSON.stringify(r)).join('\n') + '\n');
  }, 500).unref();
}

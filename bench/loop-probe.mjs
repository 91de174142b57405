// Preloaded into an app (`node --import ./bench/loop-probe.mjs ...`, see run.mjs --probe DIR): once a second it
// appends to $LOOP_PROBE_DIR/<app>.<pid>.jsonl what the second cost that process: event-loop delay (p50/p99/max),
// GC pauses (count, total and longest, by kind) and CPU (user + system ms). bench/loop-summary.mjs reads them.
import { appendFileSync, mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver, constants } from 'node:perf_hooks';

const dir = process.env.LOOP_PROBE_DIR;
if (dir) {
  const app = basename(dirname(dirname(process.argv[1] ?? 'app/src/x'))); // dist/apps/<app>/src/main.js
  const file = join(dir, `${app}.${process.pid}.jsonl`);
  mkdirSync(dir, { recursive: true });
  const kinds = {
    [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor', [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental', [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
  };
  const eld = monitorEventLoopDelay({ resolution: 1 });
  eld.enable();
  let gc = {};
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const k = kinds[e.detail?.kind ?? e.kind] ?? 'other';
      const g = (gc[k] ??= { n: 0, ms: 0, max: 0 });
      g.n++;
      g.ms += e.duration;
      g.max = Math.max(g.max, e.duration);
    }
  }).observe({ entryTypes: ['gc'] });
  let cpu = process.cpuUsage();
  let t = performance.now();
  const ms = (ns) => Math.round(ns / 1e4) / 100;
  setInterval(() => {
    const now = performance.now();
    const c = process.cpuUsage(cpu);
    cpu = process.cpuUsage();
    const row = {
      t: Date.now(), wall_ms: Math.round(now - t), cpu_ms: Math.round((c.user + c.system) / 1000),
      eld: { p50: ms(eld.percentile(50)), p99: ms(eld.percentile(99)), max: ms(eld.max) },
      gc, heap_mib: Math.round(process.memoryUsage().heapUsed / 1048576),
    };
    t = now;
    gc = {};
    eld.reset();
    appendFileSync(file, JSON.stringify(row) + '\n');
  }, 1000).unref();
}

// LOOP_PROBE_HEAP=S: also a sampling profile of everything allocated (collected objects included), from 5 s after
// start for S seconds, into <app>.<pid>.heapprofile (open it in Chrome DevTools, or bench/heap-summary.mjs). A timer,
// not the exit: Nest ends a process by re-raising SIGTERM, which runs no exit handler. With LOOP_PROBE_HEAP_SURVIVORS=1
// it leaves out what a scavenge collected: what is left is what lived long enough to be promoted (the old space's
// growth, which the major GCs then pay for) or is still alive.
if (dir && process.env.LOOP_PROBE_HEAP) {
  const { Session } = await import('node:inspector');
  const { writeFileSync } = await import('node:fs');
  const app = basename(dirname(dirname(process.argv[1] ?? 'app/src/x')));
  const s = new Session();
  s.connect();
  setTimeout(() => s.post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: !process.env.LOOP_PROBE_HEAP_SURVIVORS }), 5000).unref();
  setTimeout(() => {
    s.post('HeapProfiler.stopSampling', (err, r) => {
      if (!err) writeFileSync(join(dir, `${app}.${process.pid}.heapprofile`), JSON.stringify(r.profile));
    });
  }, 5000 + 1000 * Number(process.env.LOOP_PROBE_HEAP)).unref();
}

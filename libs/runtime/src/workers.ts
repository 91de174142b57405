import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, register, type PrometheusContentType } from 'prom-client';
import type { Logger } from './logger.js';

const METRICS_ASKED = 'reqrun:metrics';
const METRICS_TOLD = 'reqrun:metrics:told';
const STOP = 'reqrun:stop';
const RESTART_DELAY_MS = 1_000;
const METRICS_TIMEOUT_MS = 5_000;

interface MetricsTold {
  type: typeof METRICS_TOLD;
  id: number;
  text?: string;
  error?: string;
}

/**
 * Runs `count` processes of this app on this host, all serving its one HTTP port (node:cluster): each worker accepts
 * connections from the shared socket itself. Every app already runs as replicas (work queues, leases, queue groups),
 * so a worker is simply a replica that shares the port: what lets one host's cores serve one front door. A worker
 * that dies is started again (one of the first that dies before it serves stops them all: the app cannot start);
 * SIGTERM / SIGINT stop every worker, then this process. This process itself holds no app: it answers the workers'
 * `/metrics` with the sum of theirs.
 */
export function superviseWorkers(name: string, count: number, log: Logger): void {
  // Not round robin through this process: a connection it is handing to a worker that dies meanwhile is neither
  // served nor closed (the client waits for its own timeout). Accepted by the workers, it waits in the kernel's
  // backlog for a live one; a busy worker accepts less, which spreads the load as well (measured).
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  const aggregator = new AggregatorRegistry<PrometheusContentType>();
  let stopping = false;
  let failed = 0; // the exit code once every worker is gone
  const starting = new Set<Worker>(); // the first workers, until they listen
  const start = (first = false): void => {
    const worker = cluster.fork();
    worker.on('message', (m: { type?: string; id?: number }) => {
      if (m?.type === METRICS_ASKED) void tellMetrics(aggregator, worker, m.id!);
    });
    if (first) {
      starting.add(worker);
      worker.once('listening', () => starting.delete(worker));
    }
  };
  const stopAll = (): void => {
    stopping = true;
    const workers = Object.values(cluster.workers ?? {});
    if (workers.length === 0) process.exit(failed);
    for (const w of workers) {
      if (w?.isConnected()) w.send({ type: STOP });
      else w?.process.kill('SIGTERM');
    }
  };
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(failed);
      return;
    }
    if (starting.has(worker)) {
      // The app could not start (a broken install, a provider key missing, ...): another worker would not either.
      // Stop, as a single process would, so whatever runs this one sees the failure; a replacement that fails to
      // start later is only tried again (the other workers are serving).
      log.fatal({ worker_pid: worker.process.pid, code, signal }, `${name} worker exited before it served; stopping`);
      failed = 1;
      stopAll();
      return;
    }
    log.error({ worker_pid: worker.process.pid, code, signal }, `${name} worker exited; starting another in ${RESTART_DELAY_MS} ms`);
    setTimeout(() => start(), RESTART_DELAY_MS);
  });
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, stopAll);
  for (let i = 0; i < count; i++) start(true);
  log.info({ workers: count }, `${name}: ${count} worker processes`);
}

async function tellMetrics(aggregator: AggregatorRegistry<PrometheusContentType>, to: Worker, id: number): Promise<void> {
  const told: MetricsTold = await aggregator.clusterMetrics().then(
    (text) => ({ type: METRICS_TOLD, id, text }),
    (e: Error) => ({ type: METRICS_TOLD, id, error: e.message }),
  );
  if (to.isConnected()) to.send(told);
}

/**
 * In a worker: answers the supervisor's metrics requests (prom-client's own protocol) and its stop. The stop is a
 * message, not a signal, so a worker already stopping (a terminal's Ctrl-C, or systemd, signal every process of the
 * group) is not signalled a second time: a second signal while Nest closes would kill it mid-close. A worker whose
 * supervisor is killed exits at once (node:cluster does it), like any crash: what it had accepted is stored.
 */
export function joinWorkers(): void {
  new AggregatorRegistry<PrometheusContentType>(); // registers prom-client's listener that hands this worker's metrics over
  let stopping = false;
  // `once`: after the first, a signal finds only Nest's listener (which re-raises its signal to exit once closed).
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => (stopping = true));
  process.on('message', (m: { type?: string }) => {
    if (m?.type !== STOP || stopping) return;
    stopping = true;
    process.kill(process.pid, 'SIGTERM');
  });
}

let asked = 0;

/** This app's metrics in Prometheus' text format: the sum over every worker when it is one of several. */
export function appMetrics(): Promise<string> {
  if (!cluster.isWorker) return register.metrics();
  const id = ++asked;
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      process.off('message', onMessage);
    };
    const onMessage = (m: MetricsTold): void => {
      if (m?.type !== METRICS_TOLD || m.id !== id) return;
      done();
      if (m.text !== undefined) resolve(m.text);
      else reject(new Error(`metrics of the workers: ${m.error}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error('metrics of the workers: no answer from the supervising process'));
    }, METRICS_TIMEOUT_MS);
    process.on('message', onMessage);
    process.send!({ type: METRICS_ASKED, id });
  });
}

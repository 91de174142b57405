import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, register, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { Logger } from './logger.js';

const METRICS_ASKED = 'reqrun:metrics';
const METRICS_TOLD = 'reqrun:metrics:told';
const COLLECT = 'reqrun:metrics:collect';
const COLLECTED = 'reqrun:metrics:collected';
const STOP = 'reqrun:stop';
const RESTART_DELAY_MS = 1_000;
const METRICS_TIMEOUT_MS = 5_000;
const COLLECT_TIMEOUT_MS = 3_000; // under METRICS_TIMEOUT_MS: the asking worker gets the reason, not its own timeout

interface MetricsTold {
  type: typeof METRICS_TOLD;
  id: number;
  text?: string;
  error?: string;
}

type Metrics = MetricObjectWithValues<MetricValue<string>>[];

/** One /metrics answer being put together: who must answer, who has. */
interface Collection {
  expected: Set<Worker>;
  answers: Map<Worker, Metrics>;
  done: (e?: Error) => void;
}

interface Collected {
  type: typeof COLLECTED;
  id: number;
  metrics?: Metrics;
  error?: string;
}

/**
 * Runs `count` processes of this app on this host, all serving its one HTTP port (node:cluster): each worker accepts
 * connections from the shared socket itself. Every app already runs as replicas (work queues, leases, queue groups),
 * so a worker is simply a replica that shares the port: what lets one host's cores serve one front door. A worker
 * that dies is started again (one of the first that dies before it serves stops them all: the app cannot start);
 * SIGTERM / SIGINT stop every worker, then this process. This process itself holds no app: it answers the workers'
 * `/metrics` with the sum of theirs (see WorkerMetrics).
 */
export function superviseWorkers(name: string, count: number, log: Logger): void {
  // Not round robin through this process: a connection it is handing to a worker that dies meanwhile is neither
  // served nor closed (the client waits for its own timeout). Accepted by the workers, it waits in the kernel's
  // backlog for a live one; a busy worker accepts less, which spreads the load as well (measured).
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  const metrics = new WorkerMetrics();
  let stopping = false;
  let failed = 0; // the exit code once every worker is gone
  const starting = new Set<Worker>(); // the first workers, until they listen
  const start = (first = false): void => {
    const worker = cluster.fork();
    worker.on('message', (m: { type?: string; id?: number }) => {
      if (m?.type === METRICS_ASKED) void tellMetrics(metrics, worker, m.id!);
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
    void metrics.departed(worker);
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

/**
 * The workers' metrics, summed (a gauge read from JetStream with its own `aggregator`, `max`). A counter must never go
 * back: Prometheus reads a drop as a restart of the counter and counts the whole value again, so a worker that died
 * would show as a burst of everything the others had counted. What a worker had counted at the last answer before it
 * died (counters and histograms; its gauges went with it) is kept and added to every later sum. What it counted after
 * that answer is lost, as a single process's would be.
 */
class WorkerMetrics {
  private readonly lastTold = new Map<Worker, Metrics>();
  private gone: Metrics[] = [];
  private asked = 0;
  private readonly waiting = new Map<number, Collection>();

  private readonly serving = new Set<Worker>();

  constructor() {
    cluster.on('listening', (worker) => this.serving.add(worker));
    cluster.on('message', (worker, m: Collected) => {
      if (m?.type !== COLLECTED) return;
      const w = this.waiting.get(m.id);
      if (!w?.expected.has(worker)) return;
      if (m.error !== undefined) return w.done(new Error(`worker ${worker.process.pid}: ${m.error}`));
      w.answers.set(worker, m.metrics ?? []);
      if (allAnswered(w)) w.done();
    });
  }

  /** Prometheus' text: every live worker's metrics and what the dead ones had counted, summed. */
  async text(): Promise<string> {
    // A worker that died after it answered is left out: what it had told before is in `gone` already.
    const live = [...(await this.collect())].filter(([w]) => !w.isDead());
    for (const [w, m] of live) this.lastTold.set(w, m);
    return AggregatorRegistry.aggregate([...live.map(([, m]) => m), ...this.gone]).metrics();
  }

  /** Keeps what `worker` had counted at its last answer: its counters and histograms, merged into one set. */
  async departed(worker: Worker): Promise<void> {
    this.serving.delete(worker);
    for (const w of this.waiting.values()) {
      // It will not answer now: the collection goes on without it.
      if (w.expected.delete(worker) && allAnswered(w)) w.done();
    }
    const last = this.lastTold.get(worker);
    this.lastTold.delete(worker);
    if (!last) return;
    this.gone.push(last.filter(counts));
    const merging = this.gone;
    const merged = (await AggregatorRegistry.aggregate(merging).getMetricsAsJSON()) as Metrics;
    this.gone = [merged, ...this.gone.slice(merging.length)]; // a death told meanwhile stays apart until the next
  }

  private collect(): Promise<Map<Worker, Metrics>> {
    const id = ++this.asked;
    // Only workers that listen: one still starting may not hear the question yet (a message with no listener is lost).
    const expected = new Set([...this.serving].filter((w) => w.isConnected()));
    const answers = new Map<Worker, Metrics>();
    if (expected.size === 0) return Promise.resolve(answers);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error('a worker did not answer')), COLLECT_TIMEOUT_MS);
      const done = (e?: Error): void => {
        clearTimeout(timer);
        this.waiting.delete(id);
        if (e) reject(e);
        else resolve(answers);
      };
      this.waiting.set(id, { answers, expected, done });
      for (const w of expected) w.send({ type: COLLECT, id });
    });
  }
}

const allAnswered = (c: Collection): boolean => [...c.expected].every((w) => c.answers.has(w));

/** A counter or a histogram (prom-client's typings say a numeric enum; the JSON holds 'counter', 'gauge', ...). */
const counts = (m: Metrics[number]): boolean => ['counter', 'histogram'].includes(String(m.type));

async function tellMetrics(metrics: WorkerMetrics, to: Worker, id: number): Promise<void> {
  const told: MetricsTold = await metrics.text().then(
    (text) => ({ type: METRICS_TOLD, id, text }),
    (e: Error) => ({ type: METRICS_TOLD, id, error: e.message }),
  );
  if (to.isConnected()) to.send(told);
}

/**
 * In a worker: answers the supervisor's metrics requests and its stop. The stop is a
 * message, not a signal, so a worker already stopping (a terminal's Ctrl-C, or systemd, signal every process of the
 * group) is not signalled a second time: a second signal while Nest closes would kill it mid-close. A worker whose
 * supervisor is killed exits at once (node:cluster does it), like any crash: what it had accepted is stored.
 */
export function joinWorkers(): void {
  let stopping = false;
  // `once`: after the first, a signal finds only Nest's listener (which re-raises its signal to exit once closed).
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => (stopping = true));
  process.on('message', (m: { type?: string; id?: number }) => {
    if (m?.type === COLLECT) {
      const tell = (a: Omit<Collected, 'type' | 'id'>) => process.connected && process.send!({ type: COLLECTED, id: m.id, ...a });
      void register.getMetricsAsJSON().then((metrics) => tell({ metrics: metrics as Metrics }), (e: Error) => tell({ error: e.message }));
      return;
    }
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

import { isTerminal, Status, type RequestRecord } from '@reqrun/contracts';
import { Counter, Histogram } from 'prom-client';

/**
 * What the request lifecycle tells Prometheus. Every app counts the changes it makes (ingress: accepted and
 * cancelled; adapters: started, retried, finished; scheduler: rejected), so sum over the apps. Labels come from the
 * config (tenant, model windows) or fixed sets (api, status): bounded, and never a request id.
 */
const requests = new Counter({
  name: 'reqrun_requests_total',
  help: 'Requests by api, window, tenant and status: counted once when accepted (status="queued") and once when finished (completed, failed, cancelled, expired)',
  labelNames: ['api', 'window', 'tenant', 'status'],
});
const retries = new Counter({
  name: 'reqrun_retries_total',
  help: 'Attempts that failed with a retryable error and were queued again',
  labelNames: ['api', 'window', 'tenant'],
});
const queueWait = new Histogram({
  name: 'reqrun_queue_wait_seconds',
  help: "Time from acceptance to the start of the request's first attempt",
  labelNames: ['api', 'window'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400],
});
const duration = new Histogram({
  name: 'reqrun_request_duration_seconds',
  help: 'End to end: from acceptance to the final state, by how it ended',
  labelNames: ['api', 'window', 'status'],
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600, 21600, 86400],
});
const attempts = new Histogram({
  name: 'reqrun_request_attempts',
  help: 'Attempts a request took, observed when it finishes',
  labelNames: ['api', 'window', 'status'],
  buckets: [0, 1, 2, 3, 4, 5, 7, 10],
});

/** Counts one stored change of a record (called by Lifecycle, after the write). */
export function observeChange(r: RequestRecord): void {
  const base = { api: r.api, window: r.window };
  if (r.status === Status.Queued && r.attempts === 0) requests.inc({ ...base, tenant: r.tenant, status: r.status });
  else if (r.status === Status.Queued) retries.inc({ ...base, tenant: r.tenant });
  else if (r.status === Status.InProgress && r.attempts === 1 && r.started_at !== undefined) queueWait.observe(base, seconds(r.started_at - r.created_at));
  else if (isTerminal(r.status)) {
    requests.inc({ ...base, tenant: r.tenant, status: r.status });
    duration.observe({ ...base, status: r.status }, seconds((r.ended_at ?? r.updated_at) - r.created_at));
    attempts.observe({ ...base, status: r.status }, r.attempts);
  }
}

const seconds = (ms: number) => Math.max(0, ms) / 1000;

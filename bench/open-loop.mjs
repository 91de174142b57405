// Open-loop load: requests start on a fixed schedule (`rate` a second, evenly spaced), whatever the answers do, over
// at most `connections` keep-alive connections. Each latency counts from the request's *scheduled* start, so a
// request that waits for a free connection, or for a stalled load generator, is charged the wait: no coordinated
// omission. A closed loop (autocannon's default: each connection sends its next request when the last answer
// arrives) measures the most a system can serve, and its latency is then queueing by construction (Little's law:
// 64 connections at 1,600 req/s means 40 ms on average); this measures the latency at a given load instead.
import http from 'node:http';

const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : null);
const r2 = (n) => (n === null ? null : Math.round(n * 100) / 100);

/**
 * `seconds` of load at `rate` requests a second against `urls` (taken in turn), each a POST of `body`.
 * Resolves to the shape `summarize` gives for a closed-loop run, plus `offered_per_s` and `max_in_flight`.
 */
export async function openLoad({ urls, body, rate, seconds, connections, expect, timeoutMs = 30_000, stopped = () => false }) {
  const targets = (Array.isArray(urls) ? urls : [urls]).map((u) => new URL(u));
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const payload = Buffer.from(JSON.stringify(body));
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const latencies = [];
  const statusCounts = {};
  let errors = 0;
  let timeouts = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let bytes = 0;

  const one = (scheduled, target) =>
    new Promise((done) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      let finished = false;
      const finish = (status) => {
        if (finished) return;
        finished = true;
        inFlight--;
        if (status) {
          statusCounts[status] = (statusCounts[status] ?? 0) + 1;
          latencies.push(performance.now() - scheduled);
        }
        done();
      };
      const req = http.request(
        target,
        { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': payload.length }, timeout: timeoutMs },
        (res) => {
          res.on('data', (c) => (bytes += c.length));
          res.on('end', () => finish(res.statusCode));
          res.on('error', () => (errors++, finish()));
        },
      );
      req.on('timeout', () => (timeouts++, req.destroy(new Error('timeout'))));
      req.on('error', () => (errors++, finish()));
      req.end(payload);
    });

  const pending = [];
  const t0 = performance.now();
  await new Promise((allStarted) => {
    let i = 0;
    const tick = () => {
      const now = performance.now();
      // Everything whose time has come starts now, late or not: a late start is charged to its latency.
      while (i < total && t0 + i * interval <= now) {
        pending.push(one(t0 + i * interval, targets[i % targets.length]));
        i++;
      }
      if (i >= total || stopped()) return allStarted();
      setTimeout(tick, Math.max(0, t0 + i * interval - performance.now()));
    };
    tick();
  });
  await Promise.all(pending);
  const duration = (performance.now() - t0) / 1000;
  agent.destroy();

  const sorted = latencies.sort((a, b) => a - b);
  const responses = sorted.length;
  const expected = statusCounts[String(expect)] ?? 0;
  return {
    mode: 'open loop',
    offered_per_s: rate,
    requests_per_s: r2(responses / duration),
    requests_total: responses,
    duration_s: r2(duration),
    latency_ms: {
      p50: r2(pct(sorted, 50)), p90: r2(pct(sorted, 90)), p99: r2(pct(sorted, 99)),
      mean: r2(sorted.reduce((a, b) => a + b, 0) / (responses || 1)), max: r2(sorted.at(-1) ?? null),
    },
    max_in_flight: maxInFlight,
    expected_status: expect,
    responses,
    expected_responses: expected,
    unexpected_status: responses - expected,
    non_2xx: Object.entries(statusCounts).filter(([s]) => s < 200 || s > 299).reduce((a, [, n]) => a + n, 0),
    errors,
    timeouts,
    status_counts: statusCounts,
    throughput_mib_s: r2(bytes / duration / 1024 / 1024),
  };
}

import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Config, ProviderConfig } from '@reqrun/config';
import {
  isTerminal, msgId, ReqRunError, retryDelay, Status, type CallFacts, type CallOutcome, type DispatchItem, type Usage, type RecordError, type RequestRecord,
  type SubmitItem,
} from '@reqrun/contracts';
import { ack, drop, retryIn, runConsumer, type Outcome, type RunningConsumer } from '@reqrun/messaging';
import { CONFIG, Lifecycle, LOGGER, logConsumerError, Nats, type Logger } from '@reqrun/runtime';
import { BreakerStore, RequestStore, type Versioned } from '@reqrun/store';
import { toApiResult, toCanonical } from '@reqrun/translate';
import { Counter, Gauge, Histogram } from 'prom-client';
import { InFlightCalls } from './in-flight.calls.js';
import { adapterFor } from './providers/provider.registry.js';
import { ProviderError, type AdapterResult, type ProviderAdapter } from './providers/provider.js';

const upstreamCalls = new Counter({ name: 'reqrun_upstream_calls_total', help: 'Calls made to providers, by provider and outcome', labelNames: ['provider', 'outcome'] });
const upstreamLatency = new Histogram({
  name: 'reqrun_upstream_latency_seconds',
  help: 'Duration of one provider call (one attempt), by provider and outcome',
  labelNames: ['provider', 'outcome'],
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600],
});
const upstreamInFlight = new Gauge({ name: 'reqrun_upstream_in_flight', help: 'Provider calls running now in this adapters process', labelNames: ['provider'] });

/** One consumer per configured provider: runs attempts, stores their outcome, hands retries back to the scheduler. */
@Injectable()
export class DispatchWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly consumers: RunningConsumer[] = [];

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly nats: Nats,
    private readonly store: RequestStore,
    private readonly lifecycle: Lifecycle,
    private readonly inFlight: InFlightCalls,
    private readonly breakers: BreakerStore,
  ) {}

  async onApplicationBootstrap() {
    const n = this.nats.names;
    await this.breakers.start();
    for (const p of this.config.providers) {
      const adapter = adapterFor(p);
      this.consumers.push(
        await runConsumer<DispatchItem>(this.nats.nc, {
          stream: n.dispatchStream,
          durable: n.adapterConsumer(p.name),
          filter: n.dispatch(p.name),
          ackWaitMs: this.config.nats.ack_wait_ms,
          concurrency: p.concurrency,
          handler: (item) => this.handle(p, adapter, item),
          onError: (err, where, raw) => logConsumerError(this.log, err, where, raw, { provider: p.name }),
        }),
      );
    }
  }

  async beforeApplicationShutdown() {
    await Promise.all(this.consumers.map((c) => c.stop()));
    await this.breakers.stop();
  }

  async handle(p: ProviderConfig, adapter: ProviderAdapter, item: DispatchItem): Promise<Outcome> {
    const started = await this.store.transition(item.tenant, item.id, { type: 'start', attempt: item.attempt, provider: p.name, provider_model: item.provider_model });
    if (!started) return drop('no such request');
    if (!started.changed) return this.recover(started.record, item);
    this.lifecycle.changed(started.record);
    const record = started.record;

    // Open until the outcome is stored, so a duplicate delivery meanwhile is not taken for a lost worker.
    const call = this.inFlight.open(item.id, p.timeout_ms);
    try {
      let answer: AdapterResult;
      const began = performance.now();
      const latency = () => Math.round(performance.now() - began);
      const counted = (outcome: 'ok' | 'error') => {
        this.log.debug({ provider: p.name, attempt: item.attempt, outcome, latency_ms: latency() }, 'provider call finished');
        upstreamInFlight.dec({ provider: p.name });
        upstreamCalls.inc({ provider: p.name, outcome });
        upstreamLatency.observe({ provider: p.name, outcome }, (performance.now() - began) / 1000);
      };
      upstreamInFlight.inc({ provider: p.name });
      try {
        answer = await adapter.call({ ...toCanonical(record.api, record.body), model: item.provider_model }, { signal: call.signal, attempt: item.attempt, api: record.api });
        counted('ok');
      } catch (e) {
        counted('error');
        if (call.cancelled) return ack; // the record already says so
        const error = describe(e, call.timedOut, p.timeout_ms);
        const retryAfterMs = e instanceof ProviderError ? e.retryAfterMs : 0;
        if (error.retryable && adapter.breaker) this.report(p.name, { ok: false, retryAfterMs });
        const facts: CallFacts = {
          latency_ms: latency(),
          ...(e instanceof ProviderError && e.statusCode ? { status_code: e.statusCode } : {}),
          ...(retryAfterMs > 0 ? { retry_after_ms: retryAfterMs } : {}),
        };
        await this.fail(item, error, started, facts);
        return ack;
      }
      if (adapter.breaker) this.report(p.name, { ok: true });
      const { status_code, ...result } = answer;
      const usage = { ...result.usage, total_tokens: result.usage.input_tokens + result.usage.output_tokens };
      const created = Math.floor(record.created_at / 1000);
      const facts: CallFacts = { latency_ms: latency(), ...(status_code ? { status_code } : {}) };
      await this.succeed(item, usage, toApiResult(record.api, { ...result, model: record.model }, { id: record.id, created, request: record.body }), started, facts);
      return ack;
    } finally {
      call.close();
    }
  }

  /** The start was not a legal move: find out why and finish whatever an earlier delivery left undone. */
  private async recover(r: RequestRecord, item: DispatchItem): Promise<Outcome> {
    if (isTerminal(r.status)) {
      this.lifecycle.changed(r, { replayed: true }); // a crash may have come between the write and the wake-up
      return ack;
    }
    if (r.status === Status.Queued && r.attempts >= item.attempt) {
      await this.requeue(r); // outcome stored, re-submission maybe not sent
      return ack;
    }
    if (r.status === Status.InProgress && r.attempts === item.attempt) {
      // Delivered again while this process still runs it: keep the message alive until that run settles it.
      if (this.inFlight.has(item.id)) return retryIn(this.config.nats.ack_wait_ms);
      // Otherwise the worker that had it died mid-call (or NATS lost the delivery state in a restart). That attempt counts.
      await this.fail(item, { code: 'worker_lost', message: 'The adapter running this attempt stopped before it finished.', status: 502, retryable: true });
      return ack;
    }
    return ack; // a stale duplicate of an attempt already handled
  }

  /** Feeds the provider's circuit breaker, off the request's path: a lost report only delays a breaker by one call. */
  private report(provider: string, o: CallOutcome): void {
    this.breakers.report(provider, o).catch((err) => this.log.warn({ err, provider }, 'could not update the circuit breaker'));
  }

  private async succeed(item: DispatchItem, usage: Usage, result: unknown, known: Versioned, call: CallFacts): Promise<void> {
    try {
      const done = await this.store.transition(item.tenant, item.id, { type: 'succeed', attempt: item.attempt, usage, result, call }, known);
      if (done?.changed) this.lifecycle.changed(done.record);
    } catch (e) {
      if (!(e instanceof ReqRunError && e.status === 413)) throw e;
      await this.fail(item, { code: 'result_too_large', message: 'The provider answered with more than ReqRun can store.', status: 502, retryable: false });
    }
  }

  /**
   * Stores a failed attempt and, when retryable, hands the next one to the scheduler after a backoff. The provider's
   * retry-after goes on the attempt (`call.retry_after_ms`): the scheduler makes it a floor for that provider only,
   * so a retry that moves to another target does not wait for it.
   */
  private async fail(item: DispatchItem, error: RecordError, known?: Versioned, call?: CallFacts): Promise<void> {
    const delay = error.retryable ? retryDelay(item.attempt, this.config.retry, Math.random) : null;
    const t = await this.store.transition(item.tenant, item.id, { type: 'fail', attempt: item.attempt, error, retry_in_ms: delay, ...(call ? { call } : {}) }, known);
    if (!t?.changed) return;
    this.lifecycle.changed(t.record);
    if (t.record.status === Status.Queued) await this.requeue(t.record);
  }

  private async requeue(r: RequestRecord): Promise<void> {
    const next: SubmitItem = { id: r.id, tenant: r.tenant, attempt: r.attempts + 1, model: r.model, window: r.window, api: r.api, not_before: r.not_before };
    await this.nats.bus.persist(this.nats.names.submit(r.window), next, msgId(next));
  }
}

function describe(e: unknown, timedOut: boolean, timeoutMs: number): RecordError {
  if (timedOut) return { code: 'upstream_timeout', message: `The provider did not answer within ${timeoutMs} ms.`, status: 504, retryable: true };
  if (e instanceof ProviderError) return { code: e.code, message: e.message, status: e.status, retryable: e.retryable };
  // The request cannot be put in this provider's wire format (e.g. a tool message for Anthropic): no retry helps.
  if (e instanceof ReqRunError) return { code: e.code, message: e.message, status: e.status, retryable: false };
  return { code: 'upstream_error', message: `The provider call failed: ${(e as Error)?.message ?? String(e)}`, status: 502, retryable: true };
}

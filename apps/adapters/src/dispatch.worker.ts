import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Config, ProviderConfig } from '@reqrun/config';
import {
  chunkMsgId, costOf, isTerminal, msgId, type Chunk, ReqRunError, retryDelay, Status, type CallFacts, type CallOutcome, type CanonicalResult, type DeliveryRef, type DispatchItem, type HeldLimit, leaseKey, needsSettle, systemClock, type Usage, type RecordError, type RequestRecord,
  type SubmitItem,
} from '@reqrun/contracts';
import { ack, leave, retryIn, runConsumer, type Delivery, type Outcome, type RunningConsumer } from '@reqrun/messaging';
import { CONFIG, Lifecycle, LOGGER, logConsumerError, Nats, NoRecord, type Logger } from '@reqrun/runtime';
import { BreakerStore, LimitStore, RequestStore, type Versioned } from '@reqrun/store';
import { toApiResult, toCanonical, type ThinkingDelta, type ToolCallDelta } from '@reqrun/translate';
import { Counter, Gauge, Histogram } from 'prom-client';
import { CallPacer } from './call.pacer.js';
import { ChunkReader } from './chunk.reader.js';
import { chunkRetryMs, ChunkWriter } from './chunk.writer.js';
import { judgeDelivery } from './delivery.verdict.js';
import { InFlightCalls } from './in-flight.calls.js';
import { keepTrying } from './keep-trying.js';
import { ProviderAdapters } from './providers/provider.registry.js';
import { ProviderError, type AdapterResult, type ProviderAdapter } from './providers/provider.js';

const upstreamCalls = new Counter({ name: 'reqrun_upstream_calls_total', help: 'Calls made to providers, by provider and outcome', labelNames: ['provider', 'outcome'] });
const upstreamLatency = new Histogram({
  name: 'reqrun_upstream_latency_seconds',
  help: 'Duration of one provider call (one attempt), by provider and outcome',
  labelNames: ['provider', 'outcome'],
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600],
});
const upstreamInFlight = new Gauge({ name: 'reqrun_upstream_in_flight', help: 'Provider calls running now in this adapters process', labelNames: ['provider'] });

/** What a delivery tells the settlement of its reservations. */
interface SettleFacts {
  /** Tokens the provider call used: 0 when this delivery made none, or it failed. */
  usedTokens: number;
  /** This attempt runs under another delivery: that one releases the attempt's lease. */
  keepLease: boolean;
}

/** One consumer per configured provider: runs attempts, stores their outcome, hands retries back to the scheduler. */
@Injectable()
export class DispatchWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly consumers: RunningConsumer[] = [];
  private readonly limits: LimitStore;
  private readonly pacer: CallPacer;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly nats: Nats,
    private readonly store: RequestStore,
    private readonly lifecycle: Lifecycle,
    private readonly inFlight: InFlightCalls,
    private readonly breakers: BreakerStore,
    private readonly noRecord: NoRecord,
    private readonly adapters: ProviderAdapters,
  ) {
    this.limits = new LimitStore(nats.buckets.limits, systemClock);
    this.pacer = new CallPacer(this.limits, systemClock);
  }

  async onApplicationBootstrap() {
    const n = this.nats.names;
    await this.breakers.start();
    for (const p of this.config.providers) {
      const adapter = this.adapters.of(p);
      // Two lanes, each with its own slots: asap (and promoted, and retried) attempts never wait behind a standard backlog.
      for (const lane of ['fast', 'bg'] as const) {
        this.consumers.push(
          await runConsumer<DispatchItem>(this.nats.nc, {
            stream: n.dispatchStream,
            durable: n.adapterConsumer(p.name, lane),
            filter: n.dispatch(p.name, lane),
            ackWaitMs: this.config.nats.ack_wait_ms,
            // Heartbeats for as long as a call may run (its timeout) and its outcome takes to store: a provider
            // timeout above the consumer's default cap (15 min) would otherwise see its attempt redelivered mid-call.
            maxWorkingMs: p.timeout_ms + 2 * this.config.nats.ack_wait_ms,
            concurrency: p.concurrency,
            handler: (item, d) => this.handle(p, adapter, item, d),
            onError: (err, where, raw) => logConsumerError(this.log, err, where, raw, { provider: p.name, lane }),
          }),
        );
      }
    }
  }

  async beforeApplicationShutdown() {
    await Promise.all(this.consumers.map((c) => c.stop()));
    await this.breakers.stop();
  }

  /**
   * Runs the attempt on reservations that still cover a call made now (see CallPacer), then settles them (lease
   * released, tokens reconciled with the real usage). A copy of a running attempt's message, delivered to another
   * process, paces before it can know it is a copy: a renewal takes the lease again under the same key in the same
   * write, so the running call keeps its lease, and the copy's settlement leaves it alone (see recover).
   */
  async handle(p: ProviderConfig, adapter: ProviderAdapter, item: DispatchItem, d: Delivery): Promise<Outcome> {
    let held = item.held ?? [];
    // A duplicate delivery of an attempt running here calls nothing (see recover): its reservations stay as they are.
    if (held.length > 0 && !this.inFlight.has(item.id)) {
      const paced = await this.pacer.pace(leaseKey(item), held, p.timeout_ms + 2 * this.config.nats.ack_wait_ms, d.signal);
      if (!paced) return retryIn(0); // stopping
      held = paced;
    }
    const settlement: SettleFacts = { usedTokens: 0, keepLease: false };
    const outcome = await this.attempt(p, adapter, item, { seq: d.streamSeq, count: d.deliveryCount }, settlement);
    // Not when the attempt goes on (a retry of this message, or another delivery of it running elsewhere)
    if (outcome.kind === 'ack' || outcome.kind === 'drop') await this.settleHeld(item, held, settlement);
    return outcome;
  }

  /** A lost settlement is not lost capacity for long: the lease expires by itself and a token reservation leaves the window. */
  private async settleHeld(item: DispatchItem, held: HeldLimit[], settlement: SettleFacts): Promise<void> {
    for (const h of held.filter((x) => needsSettle(x.spec))) {
      await this.limits.settle(h.scope, h.spec, { id: leaseKey(item), slot: h.slot, requests: 0, tokens: settlement.usedTokens - h.tokens, keepLease: settlement.keepLease })
        .catch((err) => this.log.warn({ err, scope: h.scope, request_id: item.id }, 'could not settle a rate-limit reservation'));
    }
  }

  private async attempt(p: ProviderConfig, adapter: ProviderAdapter, item: DispatchItem, delivery: DeliveryRef, settlement: SettleFacts): Promise<Outcome> {
    const started = await this.store.transition(item.tenant, item.id, { type: 'start', attempt: item.attempt, provider: p.name, provider_model: item.provider_model, delivery });
    if (!started) return this.noRecord.outcome(item); // not written yet (the submission goes first), or deleted
    if (!started.changed) return this.recover(started.record, item, delivery, settlement);
    this.lifecycle.changed(started);
    const record = started.record;
    // Only a streamed request writes chunks; every other one keeps the plain call.
    // staleStream: an attempt that finds, before its first chunk, that the record has moved on (it was taken for lost
    // and retried while this process was frozen) writes nothing and hands its message back instead of acking it: a
    // truly stale delivery was acked by the retry already (this nak is ignored), while a stale read (a lagging
    // replica) leaves a live attempt to the redelivery (closeLostStream: no chunk, retried), never stranded.
    // Only a record written after this attempt's start can say it moved on: a KV read may come from a replica that
    // has not applied the start yet (a 3-node cluster), or not even the record; that says nothing about this attempt.
    // Found stale, the provider call stops too: its answer would go nowhere.
    const holds = async () => {
      const now = await this.store.getVersioned(item.tenant, item.id);
      if (!now || now.revision <= started.revision) return true;
      const still = now.record.attempts === item.attempt && now.record.status !== Status.Queued;
      if (!still) call.abandon();
      return still;
    };
    // Open until the outcome is stored, so a duplicate delivery meanwhile is not taken for a lost worker.
    const call = this.inFlight.open(item.tenant, item.id, p.timeout_ms);
    const chunks = record.body.stream === true ? new ChunkWriter(this.nats.bus, this.nats.names.chunk(item.id), item.id, item.attempt, chunkRetryMs, holds) : undefined;
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
      const request = { ...toCanonical(record.api, record.body), model: item.provider_model };
      // Text, thinking blocks and tool calls stream as the model writes them (`delta`, `thinking` and `tool_call`
      // chunks); the calls come whole with the end too.
      try {
        answer = await adapter.call(request, {
          signal: call.signal, attempt: item.attempt, api: record.api,
          ...(chunks ? {
            onDelta: (text: string) => chunks.delta(text), onToolCallDelta: (p: ToolCallDelta) => chunks.toolCall(p),
            onThinkingDelta: (p: ThinkingDelta) => chunks.thinking(p),
          } : {}),
        });
        counted('ok');
      } catch (e) {
        counted('error');
        if (call.cancelled) {
          this.giveBackProbe(item); // a cancelled call says nothing about the provider
          return ack; // the record already says so
        }
        await chunks?.settled(); // the deltas sent before the failure: stored, failed, or found stale
        if (chunks?.stale) return retryIn(0); // retried elsewhere meanwhile: see staleStream
        const error = describe(e, call.timedOut, p.timeout_ms);
        const retryAfterMs = e instanceof ProviderError ? e.retryAfterMs : 0;
        if (adapter.breaker) {
          if (error.retryable) this.report(p.name, { ok: false, retryAfterMs });
          // An answer that is the request's own fault (400, 401, 404, 422...) says the provider is up: it ends a
          // failure streak, and a half-open breaker's probe, like a success.
          else if (e instanceof ProviderError && e.statusCode) this.report(p.name, { ok: true });
          else this.giveBackProbe(item); // ours, not the provider's (e.g. the request does not fit its wire format)
        }
        const facts: CallFacts = {
          latency_ms: latency(),
          ...(e instanceof ProviderError && e.statusCode ? { status_code: e.statusCode } : {}),
          ...(retryAfterMs > 0 ? { retry_after_ms: retryAfterMs } : {}),
        };
        if (chunks?.started) await this.interrupt(item, chunks, error, started, facts);
        else await this.fail(item, error, started, facts);
        return ack;
      }
      if (adapter.breaker) this.report(p.name, { ok: true });
      const { status_code, ...result } = answer;
      settlement.usedTokens = result.usage.input_tokens + result.usage.output_tokens;
      const facts: CallFacts = { latency_ms: latency(), ...(status_code ? { status_code } : {}) };
      // A stream's text is all stored before the request is stored as complete, and its `end` only after: the record
      // decides how the stream ends. A cancel that lands first ends it with its own chunk (this attempt writes no
      // end), and a reader woken by the completion before the `end` is stored builds it from the record.
      if (chunks) {
        try {
          await chunks.stored();
        } catch (e) {
          if (chunks.stale) return retryIn(0); // retried elsewhere meanwhile: see staleStream
          const error: RecordError = { code: 'stream_unavailable', message: `ReqRun could not store the streamed answer: ${(e as Error)?.message ?? String(e)}`, status: 502, retryable: false };
          await this.interrupt(item, chunks, error, started, facts);
          return ack;
        }
      }
      // A streamed answer cannot be asked for again (its text is out): its write outlasts a NATS failover, as its chunks do.
      const completed = chunks
        ? await keepTrying(() => this.succeed(item, record, result, started, facts), chunkRetryMs, (e) => e instanceof ReqRunError)
        : await this.succeed(item, record, result, started, facts);
      if (chunks && completed) {
        const { finish_reason, stop_sequence, tool_calls } = result;
        await chunks.end({ model: record.model, finish_reason, ...(stop_sequence !== undefined ? { stop_sequence } : {}), usage: result.usage, ...(tool_calls?.length ? { tool_calls } : {}) })
          .catch((err) => this.log.warn({ err }, 'could not store the end of a stream; its readers end it from the record'));
      }
      return ack;
    } finally {
      call.close();
    }
  }

  /**
   * The start was not a legal move: find out why and finish whatever an earlier delivery left undone. This delivery
   * runs no call, so it keeps its attempt's lease only where a call of that attempt runs elsewhere (a duplicate).
   */
  private async recover(r: RequestRecord, item: DispatchItem, delivery: DeliveryRef, settlement: SettleFacts): Promise<Outcome> {
    if (isTerminal(r.status)) {
      this.lifecycle.changed({ record: r }, { replayed: true }); // a crash may have come between the write and the wake-up
      return ack;
    }
    if (r.status === Status.Queued && r.attempts >= item.attempt) {
      await this.requeue(r); // outcome stored, re-submission maybe not sent
      return ack;
    }
    if (r.status === Status.InProgress && r.attempts === item.attempt) {
      // Delivered again while this process still runs it: keep the message alive until that run settles it.
      if (this.inFlight.has(item.id)) return retryIn(this.config.nats.ack_wait_ms);
      const verdict = judgeDelivery(r.history.at(-1)?.delivery, delivery);
      if (verdict === 'older') {
        this.log.warn({ attempt: item.attempt, delivery, started_by: r.history.at(-1)?.delivery }, 'an older delivery of an attempt another adapter started (this process was frozen meanwhile): left to that one');
        return leave;
      }
      if (verdict === 'duplicate') {
        settlement.keepLease = true;
        return ack;
      }
      // Otherwise the worker that had it died mid-call (or NATS lost the delivery state in a restart). That attempt counts.
      const lost: RecordError = { code: 'worker_lost', message: 'The adapter running this attempt stopped before it finished.', status: 502, retryable: true };
      this.giveBackProbe(item); // a worker lost says nothing about the provider
      if (r.body.stream === true && (await this.closeLostStream(r, item, lost))) return ack;
      await this.fail(item, lost);
      return ack;
    }
    return ack; // a stale duplicate of an attempt already handled (a later attempt's call has a lease of its own)
  }

  /**
   * A lost attempt of a streamed request, by its last chunk: none of this attempt = nothing went out, so false (it is
   * retried as usual). `end` = the whole answer is in the stream but not in the record: only an adapter from before
   * the answer was stored ahead of `end` leaves that (see Chunk); it is stored from there, as the client saw it. Otherwise a client may have seen part of it: the stream gets an `error` chunk
   * (unless one already ended it: the request then fails with that one's error) and the request fails.
   */
  private async closeLostStream(r: RequestRecord, item: DispatchItem, lost: RecordError): Promise<boolean> {
    const chunks = new ChunkReader(this.nats.nc, this.nats.names, r.id);
    const last = await chunks.last();
    if (!last || last.attempt !== item.attempt) return false;
    const answer = last.type === 'end' ? await chunks.answerOf(last) : null;
    if (answer) {
      await this.succeed(item, r, answer);
      return true;
    }
    // An error chunk already there is what every reader ended the stream with: the record says the same.
    const error = last.type === 'error' ? last.error : interrupted(lost);
    if (last.type !== 'error') {
      const c: Chunk = { type: 'error', attempt: item.attempt, seq: last.seq + 1, error };
      await this.nats.bus.persist(this.nats.names.chunk(r.id), c, chunkMsgId(r.id, c));
    }
    await this.fail(item, error);
    return true;
  }

  /** The attempt failed after its first delta: the stream ends with an `error` chunk and the request fails, never retried. */
  private async interrupt(item: DispatchItem, chunks: ChunkWriter, cause: RecordError, known: Versioned, call: CallFacts): Promise<void> {
    const error = interrupted(cause);
    await chunks.error(error);
    await this.fail(item, error, known, call);
  }

  /** Gives back the probe an attempt held, if it did (see DispatchItem.probe); off the request's path, a lost one waits out its lease. */
  private giveBackProbe(item: DispatchItem): void {
    if (item.probe === undefined) return;
    this.breakers.releaseProbe(item.provider, item.probe).catch((err) => this.log.warn({ err, provider: item.provider }, 'could not give back a probe'));
  }

  /** Feeds the provider's circuit breaker, off the request's path: a lost report only delays a breaker by one call. */
  private report(provider: string, o: CallOutcome): void {
    this.breakers.report(provider, o).catch((err) => this.log.warn({ err, provider }, 'could not update the circuit breaker'));
  }

  /** Stores the answer in the shape of the request's API, under the model name the client asked for; true if this stored it. */
  private async succeed(item: DispatchItem, r: RequestRecord, answer: CanonicalResult, known?: Versioned, call?: CallFacts): Promise<boolean> {
    const usage: Usage = { ...answer.usage, total_tokens: answer.usage.input_tokens + answer.usage.output_tokens };
    const result = toApiResult(r.api, { ...answer, model: r.model }, { id: r.id, created: Math.floor(r.created_at / 1000), request: r.body });
    const cost = costOf(usage, this.config.models[r.model]?.price, r.window, this.config.windows[r.window].price) ?? undefined;
    try {
      const done = await this.store.transition(item.tenant, item.id, { type: 'succeed', attempt: item.attempt, usage, result, ...(call ? { call } : {}), ...(cost ? { cost } : {}) }, known);
      if (done?.changed) this.lifecycle.changed(done);
      // Stored by a try whose answer was lost (NATS failing over): ours all the same
      else if (done?.record.status === Status.Completed && done.record.attempts === item.attempt) this.lifecycle.changed(done, { replayed: true });
      return done?.record.status === Status.Completed && done.record.attempts === item.attempt;
    } catch (e) {
      if (!(e instanceof ReqRunError && e.status === 413)) throw e;
      await this.fail(item, { code: 'result_too_large', message: 'The provider answered with more than ReqRun can store.', status: 502, retryable: false });
      return false;
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
    this.lifecycle.changed(t);
    if (t.record.status === Status.Queued) await this.requeue(t.record);
  }

  private async requeue(r: RequestRecord): Promise<void> {
    const next: SubmitItem = { id: r.id, tenant: r.tenant, attempt: r.attempts + 1, model: r.model, window: r.window, api: r.api, not_before: r.not_before, created_at: r.created_at };
    await this.nats.bus.persist(this.nats.names.submit(r.window, r.tenant), next, msgId(next));
  }
}

/** The cause, made final: a client may have seen part of the answer, so no other attempt may start it again. */
const interrupted = (cause: RecordError): RecordError => ({
  ...cause,
  message: `The stream was interrupted after its first chunk, so the request is not retried: ${cause.message}`,
  retryable: false,
});

function describe(e: unknown, timedOut: boolean, timeoutMs: number): RecordError {
  if (timedOut) return { code: 'upstream_timeout', message: `The provider did not answer within ${timeoutMs} ms.`, status: 504, retryable: true };
  if (e instanceof ProviderError) return { code: e.code, message: e.message, status: e.status, retryable: e.retryable };
  // The request cannot be put in this provider's wire format (e.g. tool-call arguments that are not a JSON object, for Anthropic): no retry helps.
  if (e instanceof ReqRunError) return { code: e.code, message: e.message, status: e.status, retryable: false };
  return { code: 'upstream_error', message: `The provider call failed: ${(e as Error)?.message ?? String(e)}`, status: 502, retryable: true };
}

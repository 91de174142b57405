import { jetstreamManager } from '@nats-io/jetstream';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Config } from '@reqrun/config';
import {
  admit, type Ask, deferFor, ErrorCode, promoteAtOf, isOpen, isProbing, isTerminal, leaseKey, msgId, Window, type AttemptRecord, type DispatchItem, type HeldLimit, type Lane, type RequestRecord,
  type SubmitItem,
} from '@reqrun/contracts';
import { ack, retryIn, runConsumer, type Outcome, type RunningConsumer } from '@reqrun/messaging';
import { CONFIG, Lifecycle, LOGGER, logConsumerError, Nats, NoRecord, type Logger } from '@reqrun/runtime';
import { BreakerStore, LimitStore, RequestStore } from '@reqrun/store';
import { toCanonical } from '@reqrun/translate';
import { Counter, Gauge } from 'prom-client';
import { reserveTokens, scopesFor } from './limits.plan.js';
import { LaneGate } from './lane.gate.js';
import { route } from './router.js';

/** A reservation this handling made, and whether it took the attempt's lease (false: the attempt held it already). */
interface Taken {
  held: HeldLimit;
  leased: boolean;
}

/** Per window: messages handled at once, and messages out (deferred ones included) before the consumer stops delivering more. */
const pull: Record<Window, { concurrency: number; maxAckPending: number }> = {
  asap: { concurrency: 256, maxAckPending: 4096 },
  standard: { concurrency: 128, maxAckPending: 2048 },
  batch: { concurrency: 64, maxAckPending: 1024 },
};

/** Attempts a provider's background lane may hold before standard and batch wait in the submit stream instead. */
const BG_LANE_DEPTH = 512;
/** Longest a handler holds a message while it waits for lane room (well inside the consumer's heartbeat cap). */
const MAX_GATE_WAIT_MS = 60_000;
/** How often an attempt held behind another attempt's probe looks again (the probe's outcome ends the wait). */
const PROBE_RECHECK_MS = 1000;

const deferred = new Counter({ name: 'reqrun_scheduler_deferred_total', help: "Attempts put back in the queue by a rate limit, their window or another attempt's probe", labelNames: ['window', 'reason'] });
const dispatched = new Counter({ name: 'reqrun_scheduler_dispatched_total', help: 'Attempts sent to a provider queue', labelNames: ['window', 'lane'] });

/**
 * One consumer per completion window (asap is never behind standard or batch); each submission whose backoff has
 * passed is admitted by its window (expired, held until promoted, or allowed a share of the limits), reserved in
 * its tenant's and target's rate limits (shared KV state, compare-and-set), and sent to the target's fast or
 * background dispatch lane. Whatever waits goes back to the stream with a delayed nak: deferrals live in JetStream,
 * not in this process, and survive its restart.
 */
@Injectable()
export class SubmitWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly consumers: RunningConsumer[] = [];
  private readonly limits: LimitStore;
  private readonly lanes: LaneGate;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly nats: Nats,
    private readonly store: RequestStore,
    private readonly lifecycle: Lifecycle,
    private readonly breakers: BreakerStore,
    private readonly noRecord: NoRecord,
  ) {
    this.limits = new LimitStore(nats.buckets.limits, { now: () => Date.now() });
    this.lanes = new LaneGate(nats.nc, nats.names, BG_LANE_DEPTH);
  }

  async onApplicationBootstrap() {
    await this.breakers.start();
    const { config, breakers } = this;
    new Gauge({
      name: 'reqrun_provider_paused',
      help: "1 while the provider's circuit breaker is open, or half-open with its one probe call out, and the scheduler routes around it",
      labelNames: ['provider'],
      aggregator: 'max', // the breaker's state is shared: every worker process reports the same one
      collect() {
        for (const p of config.providers) {
          const s = breakers.state(p.name);
          this.set({ provider: p.name }, isOpen(s, Date.now()) || isProbing(s, Date.now()) ? 1 : 0);
        }
      },
    });
    const n = this.nats.names;
    // The single consumer of earlier versions overlaps the per-window ones, which a work queue refuses.
    await (await jetstreamManager(this.nats.nc)).consumers.delete(n.submitStream, n.legacySchedulerConsumer).catch(() => false);
    for (const window of Object.values(Window)) {
      this.consumers.push(
        await runConsumer<SubmitItem>(this.nats.nc, {
          stream: n.submitStream,
          durable: n.schedulerConsumer(window),
          filter: n.submitWindow(window),
          ackWaitMs: this.config.nats.ack_wait_ms,
          ...pull[window],
          handler: (item, d) => this.handle(item, d),
          onError: (err, where, raw) => logConsumerError(this.log, err, where, raw, { window }),
        }),
      );
    }
  }

  async beforeApplicationShutdown() {
    await Promise.all(this.consumers.map((c) => c.stop()));
    await this.breakers.stop();
  }

  async handle(item: SubmitItem, d: { signal?: AbortSignal } = {}): Promise<Outcome> {
    const now = Date.now();
    const wait = (item.not_before ?? 0) - now;
    if (wait > 0) return retryIn(wait);
    const model = this.config.models[item.model];
    if (!model) {
      const t = await this.store.transition(item.tenant, item.id, {
        type: 'reject',
        error: { code: ErrorCode.ModelNotFound, message: `Model '${item.model}' is no longer configured.`, status: 400, retryable: false },
      });
      if (t?.changed) this.lifecycle.changed(t);
      return ack;
    }
    let record: RequestRecord | null = null;
    const read = async () => (record ??= await this.store.get(item.tenant, item.id));

    // The window decides the first attempt only: a retry has started already, so it neither expires nor waits its turn.
    const w = this.config.windows[item.window];
    let createdAt = item.created_at;
    if (item.attempt === 1 && createdAt === undefined) {
      const r = await read();
      if (!r) return this.noRecord.outcome(item);
      if (isTerminal(r.status)) return ack;
      createdAt = r.created_at;
    }
    let history: AttemptRecord[] = [];
    if (item.attempt > 1) {
      // A retry: the record says which targets this request failed on.
      const r = await read();
      if (!r || isTerminal(r.status)) return ack;
      history = r.history;
    }
    const to = route(model, { now, random: Math.random, breaker: (p) => this.breakers.state(p), history, maxWaitMs: this.config.retry.max_delay_ms, probeRecheckMs: PROBE_RECHECK_MS });
    const target = 'target' in to ? to.target : undefined;
    const scopes = target ? scopesFor(this.config, item.tenant, target) : [];
    const admission = item.attempt === 1 ? admit(item.window, createdAt!, now, w, scopes.length > 0) : ({ kind: 'go', share: 1, lane: 'fast', promoted: true } as const);
    if (admission.kind === 'expire') {
      const t = await this.store.transition(item.tenant, item.id, { type: 'expire' });
      if (t?.changed) this.lifecycle.changed(t);
      return ack;
    }
    if (admission.kind === 'hold') {
      deferred.inc({ window: item.window, reason: 'window' });
      return retryIn(admission.untilMs - now);
    }
    // A deferred first attempt is looked at again by its promotion or expiry at the latest.
    const later = (ms: number) => (item.attempt === 1 ? deferFor(ms, now, createdAt!, w, admission.promoted) : ms);
    if (!target) {
      const holdMs = (to as { holdMs: number }).holdMs;
      this.log.debug({ request_id: item.id, attempt: item.attempt, hold_ms: holdMs }, 'holding: every target is paused, or the one chosen asked to wait');
      return retryIn(later(holdMs));
    }
    // Room in the lane first, then the reservation: a reservation is a dispatch now, not after a wait.
    let lane: Lane = admission.lane;
    if (lane === 'bg') {
      const promoteAt = promoteAtOf(createdAt!, w);
      const room = await this.lanes.room(target.provider, Math.min(promoteAt, now + MAX_GATE_WAIT_MS), d.signal);
      if (!room) {
        if (d.signal?.aborted || Date.now() < promoteAt) return retryIn(0); // back to the stream: stopping, or waited long enough here
        lane = 'fast'; // promoted while it waited for room
      }
    }
    const share = lane === 'fast' ? 1 : admission.share;
    let taken: Taken[] = [];
    if (scopes.length > 0) {
      const r = await read();
      if (!r) return this.noRecord.outcome(item); // a new request's record may not be written yet
      if (isTerminal(r.status)) return ack;
      const tokens = scopes.some((s) => s.spec.tpm !== undefined) ? reserveTokens(toCanonical(r.api, r.body)) : 0;
      const p = this.config.providers.find((x) => x.name === target.provider)!;
      const leaseMs = p.timeout_ms + this.config.nats.ack_wait_ms * 2;
      const got = await this.reserveAll(scopes, item, { tokens, leaseMs, share });
      if ('waitMs' in got) {
        deferred.inc({ window: item.window, reason: 'limit' });
        return retryIn(later(got.waitMs));
      }
      taken = got.taken;
    }
    const held = taken.map((t) => t.held);
    const dispatch: DispatchItem = {
      id: item.id, tenant: item.tenant, attempt: item.attempt, provider: target.provider, provider_model: target.model ?? item.model, ...(held.length > 0 ? { held } : {}),
      ...(item.attempt === 1 ? { api: item.api, model: item.model, window: item.window, created_at: createdAt } : {}),
    };
    let probing = false;
    try {
      // Claimed last, once nothing else can hold this attempt back: a lease whose attempt did not go would stall the provider.
      if (this.breakers.halfOpen(target.provider)) {
        if (!(await this.breakers.claimProbe(target.provider))) {
          await this.release(taken, item);
          deferred.inc({ window: item.window, reason: 'probe' });
          return retryIn(0); // routed again: this process's copy now shows the probe's holder (or the breaker's new state)
        }
        probing = true;
        dispatch.probe = this.breakers.wonProbe(target.provider);
      }
      if (!(await this.nats.bus.persist(this.nats.names.dispatch(target.provider, lane), dispatch, msgId(item)))) {
        // This submission was handled twice (a redelivery of a message taken for lost): the first dispatch of the
        // attempt went, with its reservations and lease; these are undone (the lease was not taken here: see release).
        await this.release(taken, item);
        if (probing) await this.breakers.releaseProbe(target.provider).catch(() => undefined);
        return ack;
      }
    } catch (e) {
      await this.release(taken, item);
      if (probing) await this.breakers.releaseProbe(target.provider).catch(() => undefined); // else its lease runs out
      throw e;
    }
    dispatched.inc({ window: item.window, lane });
    this.log.debug({ request_id: item.id, attempt: item.attempt, provider: target.provider, lane }, 'dispatched');
    return ack;
  }

  /** Reserves in every scope or in none: a refusal undoes the scopes already taken. */
  private async reserveAll(scopes: ReturnType<typeof scopesFor>, item: SubmitItem, ask: Omit<Ask, 'id'>): Promise<{ taken: Taken[] } | { waitMs: number }> {
    const taken: Taken[] = [];
    for (const s of scopes) {
      const r = await this.limits.reserve(s.scope, s.spec, { id: leaseKey(item), ...ask });
      if (!r.ok) {
        await this.release(taken, item);
        return { waitMs: r.waitMs };
      }
      taken.push({ held: { scope: s.scope, spec: s.spec, slot: r.slot, tokens: ask.tokens }, leased: r.leased });
    }
    return { taken };
  }

  /**
   * Undoes reservations whose attempt did not go. A lease the attempt already held is left alone: this submission
   * was handled twice, and the attempt's first dispatch (running, or on its way) holds it.
   */
  private async release(taken: Taken[], item: SubmitItem): Promise<void> {
    for (const { held: h, leased } of taken) {
      await this.limits.settle(h.scope, h.spec, { id: leaseKey(item), slot: h.slot, requests: -1, tokens: -h.tokens, keepLease: !leased }).catch((err) => this.log.warn({ err, scope: h.scope }, 'could not undo a rate-limit reservation'));
    }
  }
}

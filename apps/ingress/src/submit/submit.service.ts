import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Config } from '@reqrun/config';
import {
  ErrorCode, msgId, ReqRunError, Status, systemClock, systemIds, type DispatchItem, type RequestRecord, type SubmitItem,
} from '@reqrun/contracts';
import { countMessages, setRequestId } from '@reqrun/messaging';
import { CONFIG, directTarget, Lifecycle, LOGGER, Nats, type Logger } from '@reqrun/runtime';
import { BreakerStore, fingerprint, IdempotencyStore, RequestIndex, RequestStore } from '@reqrun/store';
import { Counter } from 'prom-client';
import { unavailable } from '../errors/to-reqrun-error.js';
import { checkTargetsServe, knownModel } from './known-model.js';
import type { SubmitPlan } from './submit.plan.js';
import { NO_WAIT, Waiter } from './waiter.js';

const direct = new Counter({ name: 'reqrun_ingress_direct_dispatched_total', help: 'New requests the ingress sent to a provider queue itself (nothing for the scheduler to decide)', labelNames: ['provider'] });

/** Stores a request before anything else, hands it to the scheduler (or, with nothing to schedule, to its provider's queue), and waits for it as long as the caller asked. */
@Injectable()
export class SubmitService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly nats: Nats,
    private readonly store: RequestStore,
    private readonly idempotency: IdempotencyStore,
    private readonly waiter: Waiter,
    private readonly lifecycle: Lifecycle,
    private readonly breakers: BreakerStore,
    private readonly index: RequestIndex,
  ) {}

  async onApplicationBootstrap() {
    await this.breakers.start(); // a paused provider's requests go through the scheduler, which routes around it
  }

  async beforeApplicationShutdown() {
    await this.index.close();
    await this.breakers.stop();
  }

  async submit(plan: SubmitPlan, signal?: AbortSignal): Promise<RequestRecord> {
    checkTargetsServe(this.config, knownModel(this.config, plan.model), plan.model, plan.api, plan.body);
    if (!this.nats.connected) throw unavailable();
    const now = systemClock.now();
    let record: RequestRecord = {
      id: systemIds.requestId(), tenant: plan.tenant, api: plan.api, model: plan.model, window: plan.window,
      status: Status.Queued, body: plan.body, created_at: now, updated_at: now, attempts: 0, history: [],
      ...(plan.waitMs > 0 ? { waiter: this.waiter.name } : {}),
    };
    const json = this.checkSize(record);
    const claimed = plan.idempotencyKey !== undefined ? await this.claimKey(plan, record.id) : undefined;
    if (claimed) record = { ...record, id: claimed };
    setRequestId(record.id);

    // A caller that does not wait costs no subscription (a SUB and an UNSUB on the wire, and the server's interest).
    const watch = plan.waitMs > 0 ? this.waiter.watch(plan.tenant, record.id, !claimed) : NO_WAIT;
    try {
      // A retry with a key that is taken attaches to the request stored under it, queue full or not.
      let current = claimed ? await this.store.get(plan.tenant, record.id) : null;
      if (!current) {
        // A new request (or a taken key whose first ingress died before storing the record: it stores it now).
        await this.checkQueue(plan.tenant);
        const revision = await this.queueAndStore(record, claimed ? undefined : json);
        current = revision ? record : await this.store.get(plan.tenant, record.id);
        if (!current) throw new ReqRunError(ErrorCode.Internal, 'The request record vanished while it was being created.', 500);
        if (current === record) {
          this.lifecycle.changed({ record, revision });
          this.log.debug({ tenant: plan.tenant, api: plan.api, model: plan.model, window: plan.window }, 'accepted');
        }
      }
      return await watch.until(current, plan.waitMs, signal);
    } finally {
      watch.close();
    }
  }

  /** Claims the key for `id`; the id of the request that holds it already (same request, else a 422), or undefined when claimed now. */
  private async claimKey(plan: SubmitPlan, id: string): Promise<string | undefined> {
    const fp = fingerprint(plan.api, withoutStream(plan.body));
    const claim = await this.idempotency.claim(plan.tenant, plan.idempotencyKey!, { id, fingerprint: fp });
    if (claim.won) return undefined;
    if (claim.existing.fingerprint !== fp) {
      throw new ReqRunError(
        ErrorCode.IdempotencyKeyReused,
        `This Idempotency-Key was already used for a different request (${claim.existing.id}); use a new key for a new request.`,
        422, 'idempotency_key',
      );
    }
    return claim.existing.id;
  }

  /**
   * Queues the submission and writes the record, both sent at once (one round trip), the submission first in the
   * same socket write: a crash of this process can lose the record, whose submission the workers then abandon (see
   * NoRecord), but never leave a queued record that nothing runs. A second publish is a no-op (same msgID). True when
   * this call created the record (its revision; 0 when it existed); when only the submission failed, the record just
   * written fails, visibly.
   */
  private async queueAndStore(r: RequestRecord, json?: string): Promise<number> {
    const item: SubmitItem = { id: r.id, tenant: r.tenant, attempt: 1, model: r.model, window: r.window, api: r.api, created_at: r.created_at };
    const to = directTarget(this.config, r.tenant, r.model, r.window, (p) => this.breakers.state(p), Date.now());
    const viaScheduler = () => this.nats.bus.persist(this.nats.names.submit(r.window, r.tenant), item, msgId(item));
    // The dispatch stream can be unavailable while the submit stream is not (a NATS node rejoining, a leader being
    // elected): the scheduler's path then takes it. Had the direct publish been stored after all, the scheduler's
    // dispatch of it carries the same msgID and is dropped as a duplicate.
    const queued = to
      ? this.nats.bus.persist(this.nats.names.dispatch(to.provider, 'fast'), { ...item, ...to } satisfies DispatchItem, msgId(item)).then(
          () => void direct.inc({ provider: to.provider }),
          (err) => {
            this.log.warn({ err, provider: to.provider }, 'could not queue on the dispatch stream; queueing through the scheduler');
            return viaScheduler();
          },
        )
      : viaScheduler();
    const created = this.store.create(r, json);
    this.index.add(r);
    const [q, c] = await Promise.allSettled([queued, created]);
    if (q.status === 'rejected') {
      if (c.status === 'fulfilled' && c.value) {
        const error = { code: ErrorCode.Unavailable, message: 'The request could not be queued (NATS unreachable); send it again.', status: 503, retryable: false };
        await this.store.transition(r.tenant, r.id, { type: 'reject', error }).catch(() => undefined);
      }
      throw q.reason;
    }
    if (c.status === 'rejected') throw c.reason;
    return c.value;
  }

  /** The record must fit a NATS message with room left for the answer, or nothing is written at all. Returns its JSON. */
  private checkSize(r: RequestRecord): string {
    const max = this.nats.nc.info?.max_payload ?? 1024 * 1024;
    const json = JSON.stringify(r);
    if (Buffer.byteLength(json) > max / 2) {
      throw new ReqRunError(ErrorCode.BodyTooLarge, `The request is too large: ReqRun stores requests up to ${Math.floor(max / 2 / 1024)} KiB.`, 413);
    }
    return json;
  }

  /**
   * A tenant's `max_queued`: its queued count is what the submit stream holds on its subjects (`rr.submit.*.<tenant>`),
   * kept by JetStream itself, so every ingress replica sees the same number and nothing can drift. Rate limits never
   * refuse a request (it waits in the queue); only a full queue does, with the time its rpm needs to make room.
   */
  private async checkQueue(tenant: string): Promise<void> {
    const limits = this.config.tenants.find((t) => t.name === tenant)?.limits;
    if (!limits?.max_queued) return;
    const n = this.nats.names;
    const queued = await countMessages(this.nats.nc, n.submitStream, n.submitTenant(tenant));
    if (queued < limits.max_queued) return;
    const e = new ReqRunError(ErrorCode.QueueFull, `Too many requests queued for this tenant (${queued}, the limit is ${limits.max_queued}); try again later.`, 429);
    const over = queued - limits.max_queued + 1;
    e.retryAfterS = Math.max(1, Math.ceil(limits.rpm ? (over * (limits.period_s ?? 60)) / limits.rpm : 1));
    throw e;
  }
}

const withoutStream = ({ stream: _s, ...rest }: Record<string, unknown>) => rest;

import { Inject, Injectable } from '@nestjs/common';
import type { Config } from '@reqrun/config';
import {
  ErrorCode, msgId, ReqRunError, Status, systemClock, systemIds, type RequestRecord, type SubmitItem,
} from '@reqrun/contracts';
import { setRequestId } from '@reqrun/messaging';
import { CONFIG, Lifecycle, LOGGER, Nats, type Logger } from '@reqrun/runtime';
import { fingerprint, IdempotencyStore, RequestStore } from '@reqrun/store';
import { unavailable } from '../errors/to-reqrun-error.js';
import type { SubmitPlan } from './submit.plan.js';
import { Waiter } from './waiter.js';

/** Stores a request before anything else, hands it to the scheduler, and waits for it as long as the caller asked. */
@Injectable()
export class SubmitService {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly nats: Nats,
    private readonly store: RequestStore,
    private readonly idempotency: IdempotencyStore,
    private readonly waiter: Waiter,
    private readonly lifecycle: Lifecycle,
  ) {}

  async submit(plan: SubmitPlan, signal?: AbortSignal): Promise<RequestRecord> {
    this.checkModel(plan.model);
    if (!this.nats.connected) throw unavailable();
    const now = systemClock.now();
    let record: RequestRecord = {
      id: systemIds.requestId(), tenant: plan.tenant, api: plan.api, model: plan.model, window: plan.window,
      status: Status.Queued, body: plan.body, created_at: now, updated_at: now, attempts: 0, history: [],
    };
    this.checkSize(record);
    if (plan.idempotencyKey !== undefined) record = await this.claimKey(plan, record);
    setRequestId(record.id);

    const watch = this.waiter.watch(plan.tenant, record.id);
    try {
      // Whoever holds the key creates the record; a retry that finds it there attaches to it instead.
      const current = (await this.store.create(record)) ? record : await this.store.get(plan.tenant, record.id);
      if (!current) throw new ReqRunError(ErrorCode.Internal, 'The request record vanished while it was being created.', 500);
      if (current === record) {
        this.lifecycle.changed(record);
        this.log.debug({ tenant: plan.tenant, api: plan.api, model: plan.model, window: plan.window }, 'accepted');
      }
      // A crash between create and publish would strand the request; re-publishing is a no-op (same msgID).
      if (current.status === Status.Queued && current.attempts === 0) await this.publish(current, current === record);
      return await watch.until(current, plan.waitMs, signal);
    } finally {
      watch.close();
    }
  }

  private async claimKey(plan: SubmitPlan, record: RequestRecord): Promise<RequestRecord> {
    const fp = fingerprint(plan.api, withoutStream(plan.body));
    const claim = await this.idempotency.claim(plan.tenant, plan.idempotencyKey!, { id: record.id, fingerprint: fp });
    if (claim.won) return record;
    if (claim.existing.fingerprint !== fp) {
      throw new ReqRunError(
        ErrorCode.IdempotencyKeyReused,
        `This Idempotency-Key was already used for a different request (${claim.existing.id}); use a new key for a new request.`,
        422, 'idempotency_key',
      );
    }
    return { ...record, id: claim.existing.id };
  }

  /** When the submission cannot be queued, the record we just made must not wait for ever: it fails, visibly. */
  private async publish(r: RequestRecord, createdHere: boolean): Promise<void> {
    const item: SubmitItem = { id: r.id, tenant: r.tenant, attempt: 1, model: r.model, window: r.window, api: r.api };
    try {
      await this.nats.bus.persist(this.nats.names.submit(r.window), item, msgId(item));
    } catch (e) {
      if (createdHere) {
        const error = { code: ErrorCode.Unavailable, message: 'The request could not be queued (NATS unreachable); send it again.', status: 503, retryable: false };
        await this.store.transition(r.tenant, r.id, { type: 'reject', error }).catch(() => undefined);
      }
      throw e;
    }
  }

  /** The record must fit a NATS message with room left for the answer, or nothing is written at all. */
  private checkSize(r: RequestRecord): void {
    const max = this.nats.nc.info?.max_payload ?? 1024 * 1024;
    if (Buffer.byteLength(JSON.stringify(r)) > max / 2) {
      throw new ReqRunError(ErrorCode.BodyTooLarge, `The request is too large: ReqRun stores requests up to ${Math.floor(max / 2 / 1024)} KiB.`, 413);
    }
  }

  private checkModel(model: string): void {
    if (this.config.models[model]) return;
    const known = Object.keys(this.config.models).join(', ');
    throw new ReqRunError(ErrorCode.ModelNotFound, `The model '${model}' does not exist or you do not have access to it. Known models: ${known}.`, 404, 'model');
  }
}

const withoutStream = ({ stream: _s, ...rest }: Record<string, unknown>) => rest;

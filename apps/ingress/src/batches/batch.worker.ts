import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Config } from '@reqrun/config';
import { whileNoRecord } from '@reqrun/contracts';
import { ack, drop, retryIn, runConsumer, type Delivery, type Outcome, type RunningConsumer } from '@reqrun/messaging';
import { CONFIG, LOGGER, logConsumerError, Nats, type Logger } from '@reqrun/runtime';
import { BatchStore, FileStore, FINAL_BATCH_STATUSES, type BatchError, type BatchItem, type BatchRecord } from '@reqrun/store';
import { Counter } from 'prom-client';
import { tenantNamed } from '../security/api-keys.js';
import { checkBatchInput, type CheckedInput } from './batch-input.js';
import { BatchFanOut, fannedOut } from './batch.fanout.js';
import { BatchEvents } from './batch.events.js';
import { readLines, type RawLine } from './batch.line-reader.js';
import { BatchOutput, type BatchEnding } from './batch.output.js';
import { BatchProgress } from './batch.progress.js';

const ended = new Counter({ name: 'reqrun_batches_total', help: 'Batches that reached a final status, by status', labelNames: ['status'] });

/** Batches one ingress process works on at once (a waiting batch is not held: it comes back after its poll delay). */
const CONCURRENCY = 4;
/** The poll delay grows by this factor on each look that finds the batch unfinished, up to MAX_POLL_MS. */
const POLL_GROWTH = 1.5;
const MAX_POLL_MS = 60_000;

/** The delay before a running batch's next look: `poll_ms`, growing with each look, to a minute (or `poll_ms` when longer). */
export const pollDelay = (pollMs: number, looks: number): number => Math.min(Math.max(pollMs, MAX_POLL_MS), pollMs * POLL_GROWTH ** Math.min(Math.max(0, looks - 1), 40));

/**
 * Runs batches, in every ingress replica: one JetStream work item per batch, delivered to one replica at a time, is
 * the batch's durable clock. Each delivery takes the batch as far as it can (validate the input file, make its lines
 * requests, look at how they stand, write the output) and then either acks the item (the batch is final) or naks it
 * with a delay to look again. Every step reads what the steps before stored, so a delivery after a crash resumes
 * where the last one stopped, and redoes nothing twice (see BatchFanOut, BatchOutput). The input file is read as a
 * stream each time a step needs it and the output files written as streams: no step holds a whole file.
 */
@Injectable()
export class BatchWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private consumer?: RunningConsumer;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly nats: Nats,
    private readonly batches: BatchStore,
    private readonly files: FileStore,
    private readonly fanOut: BatchFanOut,
    private readonly progress: BatchProgress,
    private readonly output: BatchOutput,
    private readonly events: BatchEvents,
  ) {}

  async onApplicationBootstrap() {
    const n = this.nats.names;
    this.consumer = await runConsumer<BatchItem>(this.nats.nc, {
      stream: n.batchStream,
      durable: n.batchConsumer,
      filter: n.batchAll(),
      concurrency: CONCURRENCY,
      maxAckPending: -1, // waiting batches are pending (naked with a delay): never a reason to stop delivering others
      ackWaitMs: this.config.nats.ack_wait_ms,
      maxWorkingMs: 60 * 60_000,
      handler: (item, d) => this.handle(item, d),
      onError: (err, where, raw) => logConsumerError(this.log, err, where, raw, { batch: true }),
    });
  }

  async beforeApplicationShutdown() {
    await this.consumer?.stop();
  }

  async handle(item: BatchItem, d: Delivery): Promise<Outcome> {
    let b = await this.batches.get(item.tenant, item.id);
    if (!b) return this.noRecord(item);
    if (FINAL_BATCH_STATUSES.has(b.status)) return this.told(b); // the item came back: its end may not have been told

    const started = await this.start(b, d);
    if ('outcome' in started) return started.outcome;
    b = started.b;

    const stopping = stoppedBy(b, Date.now());
    if (stopping) await this.progress.cancelUnfinished(b);
    const p = await this.progress.check(b);
    b = p.b;
    if (!stopping && !p.done && b.status !== 'finalizing') {
      return retryIn(Math.min(pollDelay(this.config.batches.poll_ms, d.deliveryCount), Math.max(0, b.expires_at - Date.now())));
    }
    const ending = stopping ?? 'completed';
    return this.finish(b, ending);
  }

  /** Validates the input file and makes its lines requests, or ends a batch cancelled before it started; as it is, a batch past those. */
  private async start(b: BatchRecord, d: Delivery): Promise<{ b: BatchRecord } | { outcome: Outcome }> {
    // Cancelled before it started: no lines ran (an Anthropic batch, whose count is known at once, still writes each one's result).
    if (b.status === 'cancelling' && b.in_progress_at === undefined) return { outcome: await this.finish(b, 'cancelled') };
    if (b.status === 'validating') {
      const checked = await this.check(b);
      if (!checked.ok) return { outcome: await this.fail(b, checked.errors) };
      const { total } = checked;
      b = (await this.batches.change(b.tenant, b.id, (cur) => ({
        ...cur, ...(cur.status === 'validating' ? { status: 'in_progress' as const } : {}), in_progress_at: Date.now(), request_counts: { total, completed: 0, failed: 0 },
      })))!;
    }
    if (b.status === 'in_progress' && !fannedOut(b)) {
      const lines = await this.inputLines(b);
      const tenant = tenantNamed(this.config, b.tenant);
      if (!lines || !tenant) {
        await lines?.return();
        await this.progress.cancelUnfinished(b);
        return { outcome: await this.fail(b, [lines ? { code: 'tenant_not_found', message: `The tenant ${b.tenant} is no longer configured.`, param: null, line: null } : inputGone(b)]) };
      }
      try {
        const r = await this.fanOut.run(b, lines, tenant, d.signal);
        if (r.stop) return { outcome: retryIn(r.stop.retryAfterMs) };
        b = r.b;
      } finally {
        await lines.return();
      }
    }
    return { b };
  }

  /** Every line has finished (or been stopped): `finalizing` (unless cancelled meanwhile), the files, then the final status. */
  private async finish(b: BatchRecord, ending: BatchEnding): Promise<Outcome> {
    if (ending === 'completed') {
      b = (await this.batches.change(b.tenant, b.id, (cur) => (cur.status === 'in_progress' ? { ...cur, status: 'finalizing', finalizing_at: Date.now() } : undefined))) ?? b;
      if (b.status === 'cancelling') ending = 'cancelled'; // a cancel came first: every line finished anyway, but it is what the caller asked
    }
    const files = await this.output.write(b, ending, () => this.inputLines(b));
    return this.end(b, ending, files);
  }

  private async end(b: BatchRecord, status: BatchEnding | 'failed', set: Partial<BatchRecord> | null): Promise<Outcome> {
    const now = Date.now();
    const final = await this.batches.change(b.tenant, b.id, (cur) => (FINAL_BATCH_STATUSES.has(cur.status) ? undefined : { ...cur, ...set, status, [`${status}_at`]: now }));
    if (final?.status === status) {
      ended.inc({ status });
      this.log.info({ batch: b.id, tenant: b.tenant, status, counts: final.request_counts }, 'batch ended');
    }
    return final ? this.told(final) : ack;
  }

  /** The final status is stored: its event is published (again, after a crash) before the item is acked. */
  private async told(b: BatchRecord): Promise<Outcome> {
    await this.events.told(b);
    return ack;
  }

  private fail(b: BatchRecord, errors: BatchError[]): Promise<Outcome> {
    return this.end(b, 'failed', { errors: { object: 'list', data: errors } });
  }

  /** Reads the input file through, checking it (see InputCheck). */
  private async check(b: BatchRecord): Promise<CheckedInput> {
    const lines = await this.inputLines(b);
    return lines ? checkBatchInput(lines, b.endpoint) : { ok: false, errors: [inputGone(b)] };
  }

  /** The input file's lines as they are read (a chunk of the file at a time), or null when it was deleted. */
  private async inputLines(b: BatchRecord): Promise<AsyncGenerator<RawLine, void, undefined> | null> {
    const input = await this.files.content(b.tenant, b.input_file_id);
    return input && readLines(input.data);
  }

  /**
   * The item is ahead of its record (the ingress writes the item first): wait for it; after twice the ack wait, its
   * ingress died between the two writes and its caller never got the id: store the batch as failed in its place, so
   * an ingress that comes back late cannot store a batch nothing runs.
   */
  private async noRecord(item: BatchItem): Promise<Outcome> {
    const next = whileNoRecord(item.created_at, Date.now(), 2 * this.config.nats.ack_wait_ms);
    if (next.kind === 'wait') return retryIn(next.ms);
    const error: BatchError = { code: 'batch_not_stored', message: 'The batch was not stored when it was created.', param: null, line: null };
    if (!(await this.batches.create({ ...item, status: 'failed', failed_at: Date.now(), errors: { object: 'list', data: [error] } }))) return retryIn(0);
    return drop('abandoned: its record was never written');
  }
}

const inputGone = (b: BatchRecord): BatchError => ({ code: 'input_file_not_found', message: `The input file ${b.input_file_id} was deleted.`, param: 'input_file_id', line: null });

/** Why a running batch stops before all its lines finished: cancelled by its caller, or past its expiry. */
function stoppedBy(b: BatchRecord, now: number): 'cancelled' | 'expired' | null {
  if (b.status === 'cancelling') return 'cancelled';
  if (b.status === 'in_progress' && now >= b.expires_at) return 'expired';
  return null;
}

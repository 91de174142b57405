import { Inject, Injectable } from '@nestjs/common';
import type { Config } from '@reqrun/config';
import { isTerminal, Status, type RequestRecord } from '@reqrun/contracts';
import { CONFIG, LOGGER, type Logger } from '@reqrun/runtime';
import { BatchStore, RequestStore, type BatchRecord, type LineEntry } from '@reqrun/store';
import { RequestsService } from '../requests/requests.service.js';
import { fannedOut } from './batch.fanout.js';
import { mapPool } from './pool.js';

/** A line's request record as it is now: null for a refused line or a record that is gone (both count as failed). */
type LineState = RequestRecord | null;

const finished = (s: LineState) => s === null || isTerminal(s.status);

/**
 * Where a running batch stands: reads the records of the lines not known to be finished, chunk by chunk, and marks a
 * chunk settled once all its lines are (its counts kept in the batch record, so a settled chunk is never read again).
 */
@Injectable()
export class BatchProgress {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly batches: BatchStore,
    private readonly requests: RequestStore,
    private readonly cancels: RequestsService,
  ) {}

  /** The batch with its counts brought up to date, and whether every line has finished. */
  async check(b: BatchRecord): Promise<{ b: BatchRecord; done: boolean }> {
    const settled = [...b.settled];
    let completed = 0;
    let failed = 0;
    for (let n = 0; n < b.chunks; n++) {
      if (!settled[n]) {
        const states = await this.states(b.tenant, await this.entries(b, n));
        const c = states.filter((s) => s?.status === Status.Completed).length;
        const f = states.filter((s) => finished(s)).length - c;
        if (states.every(finished)) settled[n] = [c, f];
        else {
          completed += c;
          failed += f;
          continue;
        }
      }
      completed += settled[n]![0];
      failed += settled[n]![1];
    }
    const same = (cur: BatchRecord) => cur.request_counts.completed === completed && cur.request_counts.failed === failed && JSON.stringify(cur.settled) === JSON.stringify(settled);
    const next = await this.batches.change(b.tenant, b.id, (cur) => (same(cur) ? undefined : { ...cur, settled, request_counts: { ...cur.request_counts, completed, failed } }));
    const now = next ?? b;
    return { b: now, done: fannedOut(now) && settled.length >= now.chunks && settled.slice(0, now.chunks).every(Boolean) };
  }

  /** Cancels every request of the batch that has not finished (a cancelled or expired batch stops them). */
  async cancelUnfinished(b: BatchRecord): Promise<void> {
    for (let n = 0; n < b.chunks; n++) {
      if (b.settled[n]) continue;
      const entries = await this.entries(b, n);
      await mapPool(entries, this.config.batches.submit_concurrency, async (e) => {
        if (!e.id) return;
        const r = await this.requests.get(b.tenant, e.id);
        if (r && !isTerminal(r.status)) {
          await this.cancels.cancel(b.tenant, e.id).catch((err) => this.log.debug({ err, request_id: e.id }, 'a batch line finished before its cancel'));
        }
      });
    }
  }

  /** The chunk's lines, in order. */
  async entries(b: BatchRecord, n: number): Promise<LineEntry[]> {
    const entries = await this.batches.chunk(b.tenant, b.id, n);
    if (!entries) throw new Error(`batch ${b.id}: chunk ${n} is recorded as submitted but was not found`);
    return entries;
  }

  /** The lines' records (null for a refused line), in order. */
  states(tenant: string, entries: LineEntry[]): Promise<LineState[]> {
    return mapPool(entries, this.config.batches.submit_concurrency, (e) => (e.id ? this.requests.get(tenant, e.id) : Promise.resolve(null)));
  }
}

import { Inject, Injectable } from '@nestjs/common';
import type { Config } from '@reqrun/config';
import { abandonedRecord, whileNoRecord, type SubmitItem } from '@reqrun/contracts';
import { drop, retryIn, type Outcome } from '@reqrun/messaging';
import { RequestStore } from '@reqrun/store';
import { Lifecycle } from './lifecycle.js';
import { CONFIG } from './tokens.js';

/** What a worker (scheduler or adapter) does with an attempt whose record it did not find. */
@Injectable()
export class NoRecord {
  constructor(@Inject(CONFIG) private readonly config: Config, private readonly store: RequestStore, private readonly lifecycle: Lifecycle) {}

  /**
   * A first attempt may simply be ahead of its record (the ingress publishes the submission first): wait for it, and
   * after twice the ack wait abandon it (see `whileNoRecord`). A later attempt without a record was deleted.
   */
  async outcome(item: Pick<SubmitItem, 'id' | 'tenant' | 'attempt'> & Partial<Pick<SubmitItem, 'api' | 'model' | 'window' | 'created_at'>>): Promise<Outcome> {
    const { api, model, window, created_at } = item;
    if (item.attempt > 1 || !api || !model || !window || created_at === undefined) return drop('no such request');
    const now = Date.now();
    const next = whileNoRecord(created_at, now, 2 * this.config.nats.ack_wait_ms);
    if (next.kind === 'wait') return retryIn(next.ms);
    const r = abandonedRecord({ id: item.id, tenant: item.tenant, api, model, window, created_at }, now);
    switch (await this.store.abandon(r)) {
      case 'written':
        this.lifecycle.changed({ record: r });
        return drop('abandoned: its record was never written');
      case 'exists':
        return retryIn(0); // written just now: look again
      case 'gone':
        return drop('request deleted');
    }
  }
}

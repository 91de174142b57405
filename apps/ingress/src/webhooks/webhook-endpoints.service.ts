import { Inject, Injectable } from '@nestjs/common';
import type { Config } from '@reqrun/config';
import { notFound, webhookEndpointKey } from '@reqrun/contracts';
import { CONFIG, LOGGER, type Logger } from '@reqrun/runtime';
import { WebhookEndpointStore, type DisabledEndpoint } from '@reqrun/store';

/** A tenant's configured endpoint, as its tenant sees it (never its secret). */
interface Endpoint {
  id: string;
  url: string;
  events: string[] | null;
}

export interface WebhookEndpointView {
  object: 'webhook_endpoint';
  id: string;
  url: string;
  events: string[] | null;
  status: 'enabled' | 'disabled';
  /** Only when disabled: when (seconds), why, and the event whose delivery was answered 410. */
  disabled_at?: number;
  disabled_reason?: string;
  disabled_by_event?: string;
}

const view = (ep: Endpoint, mark: DisabledEndpoint | null): WebhookEndpointView => ({
  object: 'webhook_endpoint', id: ep.id, url: ep.url, events: ep.events,
  ...(mark
    ? { status: 'disabled', disabled_at: Math.floor(mark.disabled_at / 1000), disabled_reason: mark.reason, disabled_by_event: mark.event_id }
    : { status: 'enabled' }),
});

/**
 * A tenant's webhook endpoints (from the config) with their state (from `rr-webhooks`), and the way back from a 410:
 * enabling an endpoint removes its disabled mark. An id that is not one of the caller's endpoints is a 404.
 */
@Injectable()
export class WebhookEndpointsService {
  private readonly byTenant = new Map<string, Endpoint[]>();

  constructor(
    @Inject(CONFIG) config: Config,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly store: WebhookEndpointStore,
  ) {
    for (const t of config.tenants) {
      this.byTenant.set(t.name, t.webhooks.map((w) => ({ id: webhookEndpointKey(t.name, w.url), url: w.url, events: w.events ?? null })));
    }
  }

  async list(tenant: string): Promise<{ object: 'list'; data: WebhookEndpointView[] }> {
    const eps = this.byTenant.get(tenant) ?? [];
    const marks = await Promise.all(eps.map((ep) => this.store.disabled(ep.id)));
    return { object: 'list', data: eps.map((ep, i) => view(ep, marks[i])) };
  }

  /** Idempotent: enabling an enabled endpoint answers it as it is. */
  async enable(tenant: string, id: string): Promise<WebhookEndpointView> {
    const ep = this.byTenant.get(tenant)?.find((e) => e.id === id);
    if (!ep) throw notFound(id, 'webhook endpoint');
    const removed = await this.store.enable(ep.id);
    if (removed) this.log.info({ tenant, url: ep.url, disabled_by_event: removed.event_id }, 'webhook endpoint enabled by its tenant');
    return view(ep, null);
  }
}

import type { KV } from '@nats-io/kv';

/** `rr-webhooks` key `endpoint.<endpoint id>`: present = disabled (it answered 410 Gone). */
export interface DisabledEndpoint {
  tenant: string;
  url: string;
  disabled_at: number;
  reason: string;
  event_id: string;
}

/** The key of an endpoint's disabled mark; `id` is `webhookEndpointKey(tenant, url)`. */
export const disabledEndpointKey = (id: string): string => `endpoint.${id}`;

/**
 * Which webhook endpoints are disabled, shared by every app through the `rr-webhooks` bucket: the adapters disable
 * an endpoint that answers 410 Gone and skip it while the mark is there; its tenant reads and removes the mark
 * through the ingress. Endpoints are named by their id (`webhookEndpointKey`): callers check the tenant first.
 */
export class WebhookEndpointStore {
  constructor(private readonly kv: KV) {}

  async isDisabled(id: string): Promise<boolean> {
    return (await this.disabled(id)) !== null;
  }

  /** The endpoint's mark, or null while it is enabled. */
  async disabled(id: string): Promise<DisabledEndpoint | null> {
    const e = await this.kv.get(disabledEndpointKey(id));
    return e?.operation === 'PUT' ? e.json<DisabledEndpoint>() : null;
  }

  async disable(id: string, mark: DisabledEndpoint): Promise<void> {
    await this.kv.put(disabledEndpointKey(id), JSON.stringify(mark));
  }

  /** Removes the mark; the mark removed, or null when the endpoint was enabled already (nothing is written then). */
  async enable(id: string): Promise<DisabledEndpoint | null> {
    const mark = await this.disabled(id);
    if (mark) await this.kv.delete(disabledEndpointKey(id));
    return mark;
  }
}

import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { KV } from '@nats-io/kv';
import { ConfigError, type Config, type WebhookConfig } from '@reqrun/config';
import {
  type Api, batchWebhookType, isBatchEvent, webhookEndpointKey, webhookEventId, webhookPayload, webhookRetryDelay, webhookSubject, webhookTypeFor,
  type LifecycleEvent, type WebhookEventType, type WebhookSource,
} from '@reqrun/contracts';
import { ack, isWrongLastSequence, retryIn, runConsumer, type Outcome, type RunningConsumer } from '@reqrun/messaging';
import { CONFIG, LOGGER, logConsumerError, Nats, type Logger } from '@reqrun/runtime';
import { RequestStore, WebhookEndpointStore } from '@reqrun/store';
import { Counter, Histogram } from 'prom-client';
import { Webhook } from 'standardwebhooks';
import { sendWebhook, type SendResult } from './webhook.sender.js';

const attemptsTotal = new Counter({
  name: 'reqrun_webhook_attempts_total',
  help: 'Webhook delivery attempts, by tenant and what the delivery became: delivered, retrying, failed (gave up), disabled (410), refused (private address)',
  labelNames: ['tenant', 'outcome'],
});
const attemptSeconds = new Histogram({
  name: 'reqrun_webhook_attempt_seconds',
  help: 'Duration of one webhook delivery attempt, by tenant',
  labelNames: ['tenant'],
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
});

/** One delivery attempt, as recorded. */
export interface WebhookAttempt {
  at: number;
  duration_ms: number;
  status?: number;
  retry_after_ms?: number;
  error?: string;
}

/** `rr-webhooks` key `delivery.<event id>.<endpoint>`: one event to one endpoint, every attempt. */
export interface WebhookDelivery {
  event_id: string;
  type: WebhookEventType;
  /** The request the event is about; `batch_id` instead for a batch's event. */
  request_id?: string;
  batch_id?: string;
  tenant: string;
  url: string;
  /** pending (retrying), delivered (2xx), failed (gave up after `webhooks.max_age_s`), disabled (the endpoint answered 410, now or before), refused (private address). */
  state: 'pending' | 'delivered' | 'failed' | 'disabled' | 'refused';
  first_at: number;
  next_at?: number;
  /** While set and in the future, one delivery of the event is sending the next attempt (see `claim`). */
  sending_until?: number;
  attempts: WebhookAttempt[];
}

/** How long past the send's own timeout a claimed attempt is left to its sender (it records the answer, or it died). */
const CLAIM_MARGIN_MS = 5_000;

/** The type an endpoint gets for one event, by its `events` filter; `api`: the request's, for the payload. */
interface Typing {
  api?: Api;
  typeFor(wanted: readonly string[] | undefined): WebhookEventType | null;
}

interface Endpoint extends WebhookConfig {
  tenant: string;
  key: string;
  signer: Webhook;
}

/**
 * Delivers the terminal lifecycle events and batches' ends (stored in the events stream) to the tenants' webhook endpoints, signed per
 * Standard Webhooks. The message stays in the stream until every endpoint has its answer: a retry is a nak with the
 * delay, so it survives a restart; what each endpoint got (every attempt, the next one's time) is in `rr-webhooks`,
 * so a redelivered message resumes where it was instead of re-sending what was delivered.
 */
@Injectable()
export class WebhookWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private consumer?: RunningConsumer;
  private readonly endpoints = new Map<string, Endpoint[]>();
  private readonly kv: KV;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly nats: Nats,
    private readonly store: RequestStore,
    private readonly disabledEndpoints: WebhookEndpointStore,
  ) {
    this.kv = nats.buckets.webhooks;
  }

  async onApplicationBootstrap() {
    for (const t of this.config.tenants) {
      const eps = t.webhooks.map((w, j): Endpoint => {
        const secret = process.env[w.secret_env];
        if (!secret) throw new ConfigError(`tenants '${t.name}'.webhooks[${j}]: the environment variable ${w.secret_env} is not set`);
        return { ...w, tenant: t.name, key: webhookEndpointKey(t.name, w.url), signer: new Webhook(secret) };
      });
      if (eps.length > 0) this.endpoints.set(t.name, eps);
    }
    if (this.endpoints.size === 0) return; // no endpoint anywhere: no consumer, no cost per request
    const n = this.nats.names;
    this.consumer = await runConsumer<WebhookSource>(this.nats.nc, {
      stream: n.eventsStream,
      durable: n.webhookConsumer,
      filter: n.eventsAll(), // every subject the stream keeps: requests' terminal events and batches' ends
      deliverNew: true,
      ackWaitMs: Math.max(this.config.nats.ack_wait_ms, this.config.webhooks.timeout_ms * 2),
      concurrency: this.config.webhooks.concurrency,
      handler: (ev) => this.handle(ev),
      onError: (err, where, raw) => logConsumerError(this.log, err, where, raw, { worker: 'webhooks' }),
    });
  }

  async beforeApplicationShutdown() {
    await this.consumer?.stop();
  }

  /** Every endpoint of the event's tenant, each resumed where it was; the message comes back when the earliest retry is due. */
  async handle(ev: WebhookSource): Promise<Outcome> {
    const eps = this.endpoints.get(ev.tenant);
    if (!eps) return ack;
    const typing: Typing = isBatchEvent(ev) ? { typeFor: (wanted) => batchWebhookType(ev.status, wanted) } : await this.requestTyping(ev);
    let next: number | null = null;
    for (const ep of eps) {
      const type = typing.typeFor(ep.events);
      if (!type) continue;
      const wait = await this.deliver(ev, ep, type, typing.api);
      if (wait !== null) next = Math.min(next ?? wait, wait);
    }
    return next === null ? ack : retryIn(next);
  }

  /** A request's terminal event is typed by its record's api and result (see webhookTypeFor). */
  private async requestTyping(ev: LifecycleEvent): Promise<Typing> {
    const record = await this.store.get(ev.tenant, ev.id); // null once deleted: told as request.<kind>
    const result = (record?.result as { status?: unknown } | undefined)?.status;
    return { api: record?.api, typeFor: (wanted) => webhookTypeFor(ev.status, record?.api, result, wanted) };
  }

  /** One attempt to one endpoint unless it is settled or not due; the ms until the next attempt, or null when settled. */
  private async deliver(ev: WebhookSource, ep: Endpoint, type: WebhookEventType, api: Api | undefined): Promise<number | null> {
    const eventId = webhookEventId(ev.id, ev.status);
    const key = `delivery.${eventId}.${ep.key}`;
    const entry = await this.kv.get(key);
    const revision = entry?.operation === 'PUT' ? entry.revision : 0;
    const now = Date.now();
    let d: WebhookDelivery = revision ? entry!.json<WebhookDelivery>() : {
      event_id: eventId, type, ...webhookSubject(ev), tenant: ev.tenant, url: ep.url, state: 'pending', first_at: now, attempts: [],
    };
    if (d.state !== 'pending') return null;
    if (d.next_at !== undefined && d.next_at > now) return d.next_at - now;
    if (d.sending_until !== undefined && d.sending_until > now) return d.sending_until - now; // another delivery is sending it

    let rev = revision;
    if (await this.disabledEndpoints.isDisabled(ep.key)) {
      d = { ...d, state: 'disabled', next_at: undefined };
    } else {
      const claimed = await this.claim(key, d, rev, now);
      if (claimed === null) return 0; // another delivery claimed it first: looked at again, its claim says how long to wait
      rev = claimed;
      const body = JSON.stringify(webhookPayload(type, ev, api));
      const sentAt = new Date();
      const headers = {
        'content-type': 'application/json', 'user-agent': 'ReqRun-Webhooks/1',
        'webhook-id': eventId, 'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)), 'webhook-signature': ep.signer.sign(eventId, sentAt, body),
      };
      const res = await sendWebhook(ep.url, body, headers, { timeoutMs: this.config.webhooks.timeout_ms, allowPrivate: this.config.webhooks.allow_private });
      const at = sentAt.getTime();
      const attempt: WebhookAttempt = {
        at, duration_ms: Date.now() - at, ...(res.status !== undefined ? { status: res.status } : {}),
        ...(res.retryAfterMs !== undefined ? { retry_after_ms: res.retryAfterMs } : {}), ...(res.error ? { error: res.error } : {}),
      };
      const { sending_until: _sent, ...sent } = d;
      d = { ...sent, attempts: [...d.attempts, attempt], ...this.after(d, res, Date.now()) };
      if (res.status === 410) await this.disable(ep, eventId);
      attemptsTotal.inc({ tenant: ev.tenant, outcome: d.state === 'pending' ? 'retrying' : d.state });
      attemptSeconds.observe({ tenant: ev.tenant }, attempt.duration_ms / 1000);
      this.log.info({ ...webhookSubject(ev), event_id: eventId, type, tenant: ev.tenant, status: res.status, error: res.error, state: d.state }, 'webhook attempt');
    }
    await this.write(key, d, rev);
    return d.state === 'pending' ? Math.max(0, d.next_at! - Date.now()) : null;
  }

  /**
   * Takes the next attempt for this delivery before it is sent (compare-and-set): the new revision, or null when
   * another delivery of the same message took it first. The server redelivers a message whose handler has not
   * started within the ack wait (a process busy starting up holds it in its buffer), and both deliveries may then
   * be handled at once: without the claim, both would send. A sender that dies leaves its claim to expire.
   */
  private async claim(key: string, d: WebhookDelivery, revision: number, now: number): Promise<number | null> {
    try {
      return await this.write(key, { ...d, sending_until: now + this.config.webhooks.timeout_ms + CLAIM_MARGIN_MS }, revision);
    } catch (e) {
      if (isWrongLastSequence(e)) return null;
      throw e;
    }
  }

  /** Writes a delivery record over the revision it was read at (0 = none yet); its new revision. */
  private write(key: string, d: WebhookDelivery, revision: number): Promise<number> {
    return revision ? this.kv.update(key, JSON.stringify(d), revision) : this.kv.create(key, JSON.stringify(d));
  }

  /** The delivery's state after an attempt: 2xx delivered, 410 disabled, refused for good, else retried with backoff (retry-after a floor) until max age. */
  private after(d: WebhookDelivery, res: SendResult, now: number): Pick<WebhookDelivery, 'state' | 'next_at'> {
    if (res.status !== undefined && res.status >= 200 && res.status < 300) return { state: 'delivered', next_at: undefined };
    if (res.status === 410) return { state: 'disabled', next_at: undefined };
    if (res.refused) return { state: 'refused', next_at: undefined };
    const w = this.config.webhooks;
    const delay = webhookRetryDelay(d.attempts.length + 1, w.base_delay_ms, w.max_delay_ms, res.retryAfterMs);
    if (now + delay > d.first_at + w.max_age_s * 1000) return { state: 'failed', next_at: undefined };
    return { state: 'pending', next_at: now + delay };
  }

  private async disable(ep: Endpoint, eventId: string): Promise<void> {
    await this.disabledEndpoints.disable(ep.key, { tenant: ep.tenant, url: ep.url, disabled_at: Date.now(), reason: 'the endpoint answered 410 Gone', event_id: eventId });
    this.log.warn({ tenant: ep.tenant, url: ep.url }, 'webhook endpoint disabled: it answered 410 Gone');
  }
}

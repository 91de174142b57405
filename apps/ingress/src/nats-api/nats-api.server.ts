import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import type { Msg, Subscription } from '@nats-io/nats-core';
import type { Config } from '@reqrun/config';
import { Api, ApiVerbs, badRequest, type ApiVerb, type ReqRunError } from '@reqrun/contracts';
import { childSpan, runInContext, TRACEPARENT } from '@reqrun/messaging';
import { CONFIG, LOGGER, Nats, type Logger } from '@reqrun/runtime';
import { anthropicEnvelope } from '../errors/anthropic-envelope.js';
import { openAIEnvelope } from '../errors/openai-envelope.js';
import { errorAnswer, type Envelope } from '../errors/send-error.js';
import { toReqRunError } from '../errors/to-reqrun-error.js';
import { requestView } from '../requests/request.view.js';
import { TokenCountService } from '../messages/token-count.service.js';
import { readListQuery } from '../requests/list.query.js';
import { RequestListing } from '../requests/request.listing.js';
import { RequestsService } from '../requests/requests.service.js';
import type { ApiKeys, Tenant } from '../security/api-keys.js';
import { parseJsonBody } from '../security/json-body.js';
import { answerOf, type Answer } from '../submit/answer.js';
import { ApiEdges } from '../submit/api-edges.js';
import { CreateHandler } from '../submit/create.handler.js';
import { WebhookEndpointsService } from '../webhooks/webhook-endpoints.service.js';

const APIS: readonly string[] = Object.values(Api);
/** Fields of the submit envelope that are ReqRun's extensions: copied onto the API body, where HTTP callers put them. */
const EXTENSIONS = ['wait', 'wait_timeout', 'idempotency_key', 'completion_window'] as const;

/**
 * The NATS-native API: `rr.api.v1.submit`, `.get`, `.cancel`, `.list`, `.count_tokens`, `.list_webhooks`,
 * `.enable_webhook`, request/reply, served by every ingress replica in one queue group. The same contract as HTTP,
 * through the same services: the API key in an `Authorization` (or `x-api-key`) header, the same validation, and
 * every reply `{status, headers, body}` where `status` is the HTTP status and `body` the JSON the HTTP API answers
 * (errors in the API's envelope: Anthropic's for `api: "messages"` and `count_tokens`). `list` takes
 * `GET /v1/requests`' parameters as the body's fields; `list_webhooks` and `enable_webhook` (`{"id"}`) are
 * `GET /v1/webhooks` and `POST /v1/webhooks/{id}/enable`.
 */
@Injectable()
export class NatsApiServer implements BeforeApplicationShutdown {
  private subs: Subscription[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private stopping?: Promise<void>;
  private readonly shutdown = new AbortController();

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly nats: Nats,
    private readonly creates: CreateHandler,
    private readonly edges: ApiEdges,
    private readonly requests: RequestsService,
    private readonly listing: RequestListing,
    private readonly tokens: TokenCountService,
    private readonly webhooks: WebhookEndpointsService,
  ) {}

  /** Subscribes (the keys come from `main`, which builds them once for HTTP and NATS alike). */
  start(keys: ApiKeys): void {
    const n = this.nats.names;
    for (const verb of ApiVerbs) {
      this.subs.push(this.nats.nc.subscribe(n.api(verb), {
        queue: n.apiQueue,
        callback: (err, msg) => {
          if (err) return;
          const p = this.serve(verb, msg, keys).finally(() => this.inFlight.delete(p));
          this.inFlight.add(p);
        },
      }));
    }
  }

  /** Stop taking requests, then give the ones in hand (a waiting submit may wait long) a bounded time to answer. */
  beforeApplicationShutdown(): Promise<void> {
    return (this.stopping ??= (async () => {
      for (const s of this.subs) s.unsubscribe();
      this.shutdown.abort();
      await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((r) => setTimeout(r, 5000))]);
    })());
  }

  private async serve(verb: ApiVerb, msg: Msg, keys: ApiKeys): Promise<void> {
    const header = (k: string) => msg.headers?.get(k) || msg.headers?.get(k.toLowerCase()) || undefined;
    const ctx = { traceparent: childSpan(header(TRACEPARENT)) };
    const a = await runInContext(ctx, async () => {
      let envelope: Envelope = verb === 'count_tokens' ? anthropicEnvelope : openAIEnvelope;
      let requestId: string | undefined;
      try {
        const tenant = keys.resolve({ authorization: header('Authorization'), 'x-api-key': header('x-api-key') });
        const req = parseJsonBody(msg.data, this.config.http.ingress.body_limit);
        if (req === null || typeof req !== 'object' || Array.isArray(req)) throw badRequest('The NATS request must be a JSON object.');
        const o = req as Record<string, unknown>;
        if (verb === 'submit') {
          if (typeof o.api !== 'string' || !APIS.includes(o.api)) throw badRequest(`'api' must be one of ${APIS.join(', ')}.`, 'api');
          if (o.api === Api.Messages) envelope = anthropicEnvelope;
          return await this.submit(o.api as Api, tenant, o, (id) => (requestId = id));
        }
        if (verb === 'count_tokens') {
          return { status: 200, headers: {}, body: await this.tokens.count(tenant, o.body) };
        }
        if (verb === 'list') {
          return { status: 200, headers: {}, body: await this.listing.list(tenant.name, readListQuery(o)) };
        }
        if (verb === 'list_webhooks') {
          return { status: 200, headers: {}, body: await this.webhooks.list(tenant.name) };
        }
        if (verb === 'enable_webhook') {
          if (typeof o.id !== 'string') throw badRequest("'id' must be a webhook endpoint id.", 'id');
          return { status: 200, headers: {}, body: await this.webhooks.enable(tenant.name, o.id) };
        }
        if (typeof o.id !== 'string') throw badRequest("'id' must be a request id (rr_…).", 'id');
        const r = verb === 'get' ? await this.requests.get(tenant.name, o.id) : await this.requests.cancel(tenant.name, o.id);
        return { status: 200, headers: { 'x-request-id': r.id }, body: requestView(r) };
      } catch (e) {
        const err: ReqRunError = toReqRunError(e);
        if (err.status >= 500) this.log.error({ err: err.cause ?? e, subject: msg.subject }, 'NATS API request failed');
        return errorAnswer(err, envelope, requestId);
      }
    });
    if (msg.reply) msg.respond(JSON.stringify(a));
  }

  private async submit(api: Api, tenant: Tenant, o: Record<string, unknown>, onId: (id: string) => void): Promise<Answer> {
    const edge = this.edges.of(api);
    const body = o.body;
    if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
      for (const k of EXTENSIONS) if (o[k] !== undefined) (body as Record<string, unknown>)[k] = o[k];
    }
    // A shutting-down replica stops waiting (its caller gets the async shape, as at a wait timeout) rather than drop the reply.
    const r = await this.creates.accept(edge, tenant, body, {}, this.shutdown.signal);
    onId(r.id);
    return answerOf(r, edge);
  }
}

import { Inject, Injectable } from '@nestjs/common';
import type { Config } from '@reqrun/config';
import { badRequest, type RequestRecord } from '@reqrun/contracts';
import { CONFIG } from '@reqrun/runtime';
import type { FastifyReply } from 'fastify';
import type { Readable } from 'node:stream';
import { checkModelAllowed, checkWindowAllowed, type Tenant } from '../security/api-keys.js';
import { StreamResponder } from '../streaming/stream.responder.js';
import type { ApiEdge } from './api-edge.js';
import { answer, hangUpSignal } from './answer.js';
import { planSubmit, type SubmitPlan } from './submit.plan.js';
import { SubmitService } from './submit.service.js';
import { validateBody } from './validate-body.js';

/** The headers a create call reads (HTTP headers; the NATS-native API passes its body fields as these). */
export type CreateHeaders = Record<string, string | undefined>;

/** The create path every API and transport shares: check the body, read the extensions, store and submit, wait as asked. */
@Injectable()
export class CreateHandler {
  constructor(@Inject(CONFIG) private readonly config: Config, private readonly submits: SubmitService, private readonly streams: StreamResponder) {}

  /** The NATS-native API: the record once it finished or the wait ended (`signal`: stop waiting). One reply, so no streaming. */
  async accept(edge: ApiEdge, tenant: Tenant, raw: unknown, headers: CreateHeaders, signal?: AbortSignal): Promise<RequestRecord> {
    const body = validateBody(edge.dto, raw);
    if (body.stream === true) {
      throw badRequest('stream: true cannot be answered over the NATS-native API (one reply per request): leave it out, or stream over HTTP.', 'stream');
    }
    return this.submits.submit(await this.plan(edge, tenant, body, headers, false), signal);
  }

  /** HTTP: the answer on the reply; with `stream: true`, the answer's events as they come (Server-Sent Events). */
  async create(edge: ApiEdge, tenant: Tenant, raw: unknown, headers: CreateHeaders, reply: FastifyReply): Promise<unknown> {
    const body = validateBody(edge.dto, raw);
    if (body.stream === true) return this.stream(edge, tenant, body, headers, reply);
    const plan = await this.plan(edge, tenant, body, headers, false);
    // Only a waiter has anything to stop when the caller hangs up (an AbortController and a listener per request).
    return answer(await this.submits.submit(plan, plan.waitMs > 0 ? hangUpSignal(reply) : undefined), reply, edge);
  }

  /**
   * Stored and submitted like any request (the stored body keeps `stream` and `stream_options`, which tell the
   * adapter to stream), then relayed. A Responses request with `background: true` is the background response's
   * stream: a client that hangs up leaves it running, whatever `streaming.cancel_on_disconnect` says.
   */
  private async stream(edge: ApiEdge, tenant: Tenant, body: Record<string, unknown>, headers: CreateHeaders, reply: FastifyReply): Promise<Readable> {
    const r = await this.submits.submit(await this.plan(edge, tenant, body, headers, true));
    void reply.header('x-request-id', r.id);
    return this.streams.respond(r, reply, {
      errorBeforeFirst: 'json',
      cancelOnDisconnect: this.config.streaming.cancel_on_disconnect && body.background !== true,
    });
  }

  private async plan(edge: ApiEdge, tenant: Tenant, body: Record<string, unknown>, headers: CreateHeaders, streaming: boolean): Promise<SubmitPlan> {
    const plan = planSubmit(tenant.name, edge.api, body, { idempotencyKey: headers['idempotency-key'], prefer: headers.prefer }, this.config.wait, {
      asyncByDefault: edge.asyncByDefault?.(body) ?? false,
      streaming,
    });
    checkModelAllowed(tenant, plan.model);
    checkWindowAllowed(tenant, plan.window);
    if (edge.prepare) plan.body = await edge.prepare(tenant.name, plan.body);
    return plan;
  }
}

import { Inject, Injectable } from '@nestjs/common';
import type { Config } from '@reqrun/config';
import { badRequest, type RequestRecord } from '@reqrun/contracts';
import { CONFIG } from '@reqrun/runtime';
import type { FastifyReply } from 'fastify';
import { checkModelAllowed, checkWindowAllowed, type Tenant } from '../security/api-keys.js';
import type { ApiEdge } from './api-edge.js';
import { answer, hangUpSignal } from './answer.js';
import { planSubmit } from './submit.plan.js';
import { SubmitService } from './submit.service.js';
import { validateBody } from './validate-body.js';

/** The headers a create call reads (HTTP headers; the NATS-native API passes its body fields as these). */
export type CreateHeaders = Record<string, string | undefined>;

/** The create path every API and transport shares: check the body, read the extensions, store and submit, wait as asked. */
@Injectable()
export class CreateHandler {
  constructor(@Inject(CONFIG) private readonly config: Config, private readonly submits: SubmitService) {}

  /** The record once it finished or the wait ended (`signal`: the caller went away). */
  async accept(edge: ApiEdge, tenant: Tenant, raw: unknown, headers: CreateHeaders, signal?: AbortSignal): Promise<RequestRecord> {
    const body = validateBody(edge.dto, raw);
    if (body.stream === true) throw badRequest('Streaming (stream: true) is not available yet; send stream: false or leave it out.', 'stream');
    const plan = planSubmit(tenant.name, edge.api, body, { idempotencyKey: headers['idempotency-key'], prefer: headers.prefer }, this.config.wait, {
      asyncByDefault: edge.asyncByDefault?.(body) ?? false,
    });
    checkModelAllowed(tenant, plan.model);
    checkWindowAllowed(tenant, plan.window);
    if (edge.prepare) plan.body = await edge.prepare(tenant.name, plan.body);
    return this.submits.submit(plan, signal);
  }

  /** HTTP: `accept`, answered on the reply. */
  async create(edge: ApiEdge, tenant: Tenant, raw: unknown, headers: CreateHeaders, reply: FastifyReply): Promise<unknown> {
    return answer(await this.accept(edge, tenant, raw, headers, hangUpSignal(reply)), reply, edge);
  }
}

import { Inject, Injectable } from '@nestjs/common';
import type { Config } from '@reqrun/config';
import { badRequest } from '@reqrun/contracts';
import { CONFIG } from '@reqrun/runtime';
import type { FastifyReply } from 'fastify';
import { checkModelAllowed, checkWindowAllowed, type Tenant } from '../security/api-keys.js';
import type { ApiEdge } from './api-edge.js';
import { answer, hangUpSignal } from './answer.js';
import { planSubmit } from './submit.plan.js';
import { SubmitService } from './submit.service.js';
import { validateBody } from './validate-body.js';

/** The create path every API shares: check the body, read the extensions, store and submit, wait as asked, answer. */
@Injectable()
export class CreateHandler {
  constructor(@Inject(CONFIG) private readonly config: Config, private readonly submits: SubmitService) {}

  async create(edge: ApiEdge, tenant: Tenant, raw: unknown, headers: Record<string, string | undefined>, reply: FastifyReply): Promise<unknown> {
    const body = validateBody(edge.dto, raw);
    if (body.stream === true) throw badRequest('Streaming (stream: true) is not available yet; send stream: false or leave it out.', 'stream');
    const plan = planSubmit(tenant.name, edge.api, body, { idempotencyKey: headers['idempotency-key'], prefer: headers.prefer }, this.config.wait, {
      asyncByDefault: edge.asyncByDefault?.(body) ?? false,
    });
    checkModelAllowed(tenant, plan.model);
    checkWindowAllowed(tenant, plan.window);
    if (edge.prepare) plan.body = await edge.prepare(tenant.name, plan.body);
    const record = await this.submits.submit(plan, hangUpSignal(reply));
    return answer(record, reply, edge);
  }
}

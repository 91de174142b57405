import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { badRequest } from '@reqrun/contracts';
import type { FastifyReply } from 'fastify';
import { ApiEdges } from '../submit/api-edges.js';
import { CreateHandler } from '../submit/create.handler.js';
import type { Tenant } from '../security/api-keys.js';
import { CallerTenant } from '../security/tenant.hook.js';
import { responseView } from './response.view.js';
import { ResponsesService } from './responses.service.js';

type Hdrs = Record<string, string | undefined>;

/** OpenAI Responses: create (sync, or `background: true`), read, cancel, delete; chained by `previous_response_id`. */
@Controller('v1/responses')
export class ResponsesController {
  constructor(private readonly creates: CreateHandler, private readonly responses: ResponsesService, private readonly edges: ApiEdges) {}

  @Post()
  @HttpCode(200)
  create(@Body() raw: unknown, @Headers() headers: Hdrs, @CallerTenant() tenant: Tenant, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.creates.create(this.edges.of('responses'), tenant, raw, headers, reply);
  }

  @Get(':id')
  async get(@Param('id') id: string, @Query('stream') stream: string | undefined, @CallerTenant() tenant: Tenant, @Res({ passthrough: true }) reply: FastifyReply) {
    if (stream === 'true') throw badRequest('Streaming a stored response (stream=true) is not available yet; leave it out.', 'stream');
    const r = await this.responses.get(tenant.name, id);
    void reply.header('x-request-id', r.id);
    return responseView(r);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  async cancel(@Param('id') id: string, @CallerTenant() tenant: Tenant, @Res({ passthrough: true }) reply: FastifyReply) {
    const r = await this.responses.cancel(tenant.name, id);
    void reply.header('x-request-id', r.id);
    return responseView(r);
  }

  @Delete(':id')
  @HttpCode(200)
  async delete(@Param('id') id: string, @CallerTenant() tenant: Tenant, @Res({ passthrough: true }) reply: FastifyReply) {
    const deleted = await this.responses.delete(tenant.name, id);
    void reply.header('x-request-id', id);
    return deleted;
  }
}

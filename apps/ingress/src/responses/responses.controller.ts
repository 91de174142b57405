import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiEdges } from '../submit/api-edges.js';
import { CreateHandler } from '../submit/create.handler.js';
import type { Tenant } from '../security/api-keys.js';
import { CallerTenant } from '../security/tenant.hook.js';
import { StreamResponder } from '../streaming/stream.responder.js';
import { readPageQuery } from '../paging/page.query.js';
import { inputItemsPage } from './input-items.js';
import { responseView } from './response.view.js';
import { ResponsesService } from './responses.service.js';
import { readRetrieveQuery } from './retrieve.query.js';

type Hdrs = Record<string, string | undefined>;

/** OpenAI Responses: create (sync, or `background: true`), read, cancel, delete; chained by `previous_response_id`. */
@Controller('v1/responses')
export class ResponsesController {
  constructor(
    private readonly creates: CreateHandler,
    private readonly responses: ResponsesService,
    private readonly edges: ApiEdges,
    private readonly streams: StreamResponder,
  ) {}

  @Post()
  @HttpCode(200)
  create(@Body() raw: unknown, @Headers() headers: Hdrs, @CallerTenant() tenant: Tenant, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.creates.create(this.edges.of('responses'), tenant, raw, headers, reply);
  }

  /** With `stream=true`: the response's events, from the start or after `starting_after`, while it runs or after (never cancels it). */
  @Get(':id')
  async get(@Param('id') id: string, @Query() query: Record<string, unknown>, @CallerTenant() tenant: Tenant, @Res({ passthrough: true }) reply: FastifyReply) {
    const q = readRetrieveQuery(query);
    const r = await this.responses.get(tenant.name, id);
    void reply.header('x-request-id', r.id);
    if (q.stream) return this.streams.respond(r, reply, { startingAfter: q.startingAfter, errorBeforeFirst: 'event', cancelOnDisconnect: false });
    return responseView(r);
  }

  /** The input the response was made from (a chained response's whole conversation), one cursor page at a time. */
  @Get(':id/input_items')
  async inputItems(@Param('id') id: string, @Query() query: Record<string, unknown>, @CallerTenant() tenant: Tenant, @Res({ passthrough: true }) reply: FastifyReply) {
    const q = readPageQuery(query);
    const r = await this.responses.get(tenant.name, id);
    void reply.header('x-request-id', r.id);
    return inputItemsPage(r, q);
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

import { Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Tenant } from '../security/api-keys.js';
import { CallerTenant } from '../security/tenant.hook.js';
import { readListQuery } from './list.query.js';
import { RequestListing } from './request.listing.js';
import { requestView } from './request.view.js';
import { RequestsService } from './requests.service.js';

@Controller('v1/requests')
export class RequestsController {
  constructor(private readonly requests: RequestsService, private readonly listing: RequestListing) {}

  /** The caller's requests, newest first: `?limit=&after=&order=&status=&completion_window=&model=`. */
  @Get()
  list(@Query() query: Record<string, unknown>, @CallerTenant() tenant: Tenant) {
    return this.listing.list(tenant.name, readListQuery(query));
  }

  @Get(':id')
  async get(@Param('id') id: string, @CallerTenant() tenant: Tenant, @Res({ passthrough: true }) reply: FastifyReply) {
    const r = await this.requests.get(tenant.name, id);
    void reply.header('x-request-id', r.id);
    return requestView(r);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  async cancel(@Param('id') id: string, @CallerTenant() tenant: Tenant, @Res({ passthrough: true }) reply: FastifyReply) {
    const r = await this.requests.cancel(tenant.name, id);
    void reply.header('x-request-id', r.id);
    return requestView(r);
  }
}

import { Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Tenant } from '../security/api-keys.js';
import { CallerTenant } from '../security/tenant.hook.js';
import { requestView } from './request.view.js';
import { RequestsService } from './requests.service.js';

@Controller('v1/requests')
export class RequestsController {
  constructor(private readonly requests: RequestsService) {}

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

import { Controller, Get, Headers, HttpCode, Param, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { tenantOf } from '../tenant.js';
import { requestView } from './request.view.js';
import { RequestsService } from './requests.service.js';

@Controller('v1/requests')
export class RequestsController {
  constructor(private readonly requests: RequestsService) {}

  @Get(':id')
  async get(@Param('id') id: string, @Headers() headers: Record<string, string | undefined>, @Res({ passthrough: true }) reply: FastifyReply) {
    const r = await this.requests.get(tenantOf(headers), id);
    void reply.header('x-request-id', r.id);
    return requestView(r);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  async cancel(@Param('id') id: string, @Headers() headers: Record<string, string | undefined>, @Res({ passthrough: true }) reply: FastifyReply) {
    const r = await this.requests.cancel(tenantOf(headers), id);
    void reply.header('x-request-id', r.id);
    return requestView(r);
  }
}

import { Body, Controller, createParamDecorator, Delete, Get, HttpCode, Param, Post, Query, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Tenant } from '../security/api-keys.js';
import { streamedFile } from '../files/streamed-file.js';
import { CallerTenant } from '../security/tenant.hook.js';
import { MessageBatchesService } from './message-batches.service.js';

/**
 * `http://host:port` as the caller reached this server (the `Host` header and the connection's protocol; forwarded
 * headers are not trusted, as nowhere else in the ingress): `results_url` must be absolute for the SDK to fetch it.
 */
const Origin = createParamDecorator((_data: unknown, ctx: ExecutionContext): string => {
  const req = ctx.switchToHttp().getRequest<FastifyRequest>();
  return `${req.protocol}://${req.host}`;
});

/**
 * Anthropic's Message Batches API: create, retrieve, list, cancel, delete, results (errors in Anthropic's envelope,
 * as everything under /v1/messages). Not on the NATS-native API.
 */
@Controller('v1/messages/batches')
export class MessageBatchesController {
  constructor(private readonly batches: MessageBatchesService) {}

  @Post()
  @HttpCode(200)
  create(@Body() body: unknown, @CallerTenant() tenant: Tenant, @Origin() origin: string) {
    return this.batches.create(tenant, body, origin);
  }

  @Get()
  list(@Query() query: Record<string, unknown>, @CallerTenant() tenant: Tenant, @Origin() origin: string) {
    return this.batches.list(tenant, query, origin);
  }

  @Get(':id')
  get(@Param('id') id: string, @CallerTenant() tenant: Tenant, @Origin() origin: string) {
    return this.batches.get(tenant, id, origin);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  cancel(@Param('id') id: string, @CallerTenant() tenant: Tenant, @Origin() origin: string) {
    return this.batches.cancel(tenant, id, origin);
  }

  @Delete(':id')
  @HttpCode(200)
  delete(@Param('id') id: string, @CallerTenant() tenant: Tenant) {
    return this.batches.delete(tenant, id);
  }

  @Get(':id/results')
  async results(@Param('id') id: string, @CallerTenant() tenant: Tenant) {
    const { bytes, data } = await this.batches.results(tenant, id);
    return streamedFile(data, 'application/x-jsonl', bytes);
  }
}

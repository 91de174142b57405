import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import type { Tenant } from '../security/api-keys.js';
import { CallerTenant } from '../security/tenant.hook.js';
import { BatchesService } from './batches.service.js';

/** OpenAI's Batch API: `POST /v1/batches`, `GET /v1/batches[/{id}]`, `POST /v1/batches/{id}/cancel`. */
@Controller('v1/batches')
export class BatchesController {
  constructor(private readonly batches: BatchesService) {}

  @Post()
  @HttpCode(200)
  create(@Body() body: unknown, @CallerTenant() tenant: Tenant) {
    return this.batches.create(tenant, body);
  }

  /** The caller's batches, newest first: `?limit=&after=`. */
  @Get()
  list(@Query() query: Record<string, unknown>, @CallerTenant() tenant: Tenant) {
    return this.batches.list(tenant, query);
  }

  @Get(':id')
  get(@Param('id') id: string, @CallerTenant() tenant: Tenant) {
    return this.batches.get(tenant, id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  cancel(@Param('id') id: string, @CallerTenant() tenant: Tenant) {
    return this.batches.cancel(tenant, id);
  }
}

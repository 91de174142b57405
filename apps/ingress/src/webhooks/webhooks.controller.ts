import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import type { Tenant } from '../security/api-keys.js';
import { CallerTenant } from '../security/tenant.hook.js';
import { WebhookEndpointsService } from './webhook-endpoints.service.js';

@Controller('v1/webhooks')
export class WebhooksController {
  constructor(private readonly endpoints: WebhookEndpointsService) {}

  /** The caller's configured endpoints, each enabled or disabled (after a 410 Gone). */
  @Get()
  list(@CallerTenant() tenant: Tenant) {
    return this.endpoints.list(tenant.name);
  }

  @Post(':id/enable')
  @HttpCode(200)
  enable(@Param('id') id: string, @CallerTenant() tenant: Tenant) {
    return this.endpoints.enable(tenant.name, id);
  }
}

import { Body, Controller, Headers, HttpCode, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiEdges } from '../submit/api-edges.js';
import { CreateHandler } from '../submit/create.handler.js';
import type { Tenant } from '../security/api-keys.js';
import { CallerTenant } from '../security/tenant.hook.js';
import { TokenCountService } from './token-count.service.js';

/** Anthropic Messages. Auth by `x-api-key` or Bearer, `anthropic-version` accepted; errors in Anthropic's envelope. */
@Controller('v1')
export class MessagesController {
  constructor(private readonly creates: CreateHandler, private readonly edges: ApiEdges, private readonly tokens: TokenCountService) {}

  @Post('messages')
  @HttpCode(200)
  create(@Body() raw: unknown, @Headers() headers: Record<string, string | undefined>, @CallerTenant() tenant: Tenant, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.creates.create(this.edges.of('messages'), tenant, raw, headers, reply);
  }

  @Post('messages/count_tokens')
  @HttpCode(200)
  countTokens(@Body() raw: unknown, @CallerTenant() tenant: Tenant) {
    return this.tokens.count(tenant, raw);
  }
}

import { Body, Controller, Headers, HttpCode, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiEdges } from '../submit/api-edges.js';
import { CreateHandler } from '../submit/create.handler.js';
import type { Tenant } from '../security/api-keys.js';
import { CallerTenant } from '../security/tenant.hook.js';

@Controller('v1/chat')
export class ChatController {
  constructor(private readonly creates: CreateHandler, private readonly edges: ApiEdges) {}

  @Post('completions')
  @HttpCode(200)
  create(@Body() raw: unknown, @Headers() headers: Record<string, string | undefined>, @CallerTenant() tenant: Tenant, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.creates.create(this.edges.of('chat'), tenant, raw, headers, reply);
  }
}

import { Body, Controller, Headers, HttpCode, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { ApiEdge } from '../submit/api-edge.js';
import { CreateHandler } from '../submit/create.handler.js';
import type { Tenant } from '../security/api-keys.js';
import { CallerTenant } from '../security/tenant.hook.js';
import { CreateMessageDto } from './create-message.dto.js';

/** Anthropic's async shape has Anthropic's habits: `type`, and times as RFC 3339 (as in Message Batches). */
const messagesEdge: ApiEdge = {
  api: 'messages',
  dto: CreateMessageDto,
  pending: (r) => ({
    id: r.id, type: 'message.async', status: r.status, model: r.model,
    created_at: new Date(r.created_at).toISOString(), completion_window: r.window,
  }),
};

/** Anthropic Messages. Auth by `x-api-key` or Bearer, `anthropic-version` accepted; errors in Anthropic's envelope. */
@Controller('v1')
export class MessagesController {
  constructor(private readonly creates: CreateHandler) {}

  @Post('messages')
  @HttpCode(200)
  create(@Body() raw: unknown, @Headers() headers: Record<string, string | undefined>, @CallerTenant() tenant: Tenant, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.creates.create(messagesEdge, tenant, raw, headers, reply);
  }
}

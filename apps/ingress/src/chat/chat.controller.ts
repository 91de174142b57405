import { Body, Controller, Headers, HttpCode, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { ApiEdge } from '../submit/api-edge.js';
import { CreateHandler } from '../submit/create.handler.js';
import type { Tenant } from '../security/api-keys.js';
import { CallerTenant } from '../security/tenant.hook.js';
import { ChatCompletionDto } from './chat-completion.dto.js';

const chatEdge: ApiEdge = {
  api: 'chat',
  dto: ChatCompletionDto,
  pending: (r) => ({
    id: r.id, object: 'chat.completion.async', status: r.status, model: r.model,
    created: Math.floor(r.created_at / 1000), completion_window: r.window,
  }),
};

@Controller('v1/chat')
export class ChatController {
  constructor(private readonly creates: CreateHandler) {}

  @Post('completions')
  @HttpCode(200)
  create(@Body() raw: unknown, @Headers() headers: Record<string, string | undefined>, @CallerTenant() tenant: Tenant, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.creates.create(chatEdge, tenant, raw, headers, reply);
  }
}

import { Body, Controller, Headers, HttpCode, Inject, Post, Res } from '@nestjs/common';
import type { Config } from '@reqrun/config';
import { badRequest, type RequestRecord } from '@reqrun/contracts';
import { CONFIG } from '@reqrun/runtime';
import type { FastifyReply } from 'fastify';
import { answer, hangUpSignal } from '../submit/answer.js';
import { planSubmit } from '../submit/submit.plan.js';
import { SubmitService } from '../submit/submit.service.js';
import { validateBody } from '../submit/validate-body.js';
import { tenantOf } from '../tenant.js';
import { ChatCompletionDto } from './chat-completion.dto.js';

const chatAsync = (r: RequestRecord) => ({
  id: r.id, object: 'chat.completion.async', status: r.status, model: r.model,
  created: Math.floor(r.created_at / 1000), completion_window: r.window,
});

@Controller('v1/chat')
export class ChatController {
  constructor(@Inject(CONFIG) private readonly config: Config, private readonly submits: SubmitService) {}

  @Post('completions')
  @HttpCode(200)
  async create(@Body() raw: unknown, @Headers() headers: Record<string, string | undefined>, @Res({ passthrough: true }) reply: FastifyReply) {
    const body = validateBody(ChatCompletionDto, raw);
    if (body.stream === true) throw badRequest('Streaming (stream: true) is not available yet; send stream: false or leave it out.', 'stream');
    const plan = planSubmit(tenantOf(headers), 'chat', body, { idempotencyKey: headers['idempotency-key'], prefer: headers.prefer }, this.config.wait);
    const record = await this.submits.submit(plan, hangUpSignal(reply));
    return answer(record, reply, chatAsync);
  }
}

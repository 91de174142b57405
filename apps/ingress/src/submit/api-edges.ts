import { Injectable } from '@nestjs/common';
import type { Api } from '@reqrun/contracts';
import { ChatCompletionDto } from '../chat/chat-completion.dto.js';
import { CreateMessageDto } from '../messages/create-message.dto.js';
import { CreateResponseDto } from '../responses/create-response.dto.js';
import { responseView } from '../responses/response.view.js';
import { ResponsesService } from '../responses/responses.service.js';
import type { ApiEdge } from './api-edge.js';

/** Chat's async shape. */
const chatEdge: ApiEdge = {
  api: 'chat',
  dto: ChatCompletionDto,
  pending: (r) => ({
    id: r.id, object: 'chat.completion.async', status: r.status, model: r.model,
    created: Math.floor(r.created_at / 1000), completion_window: r.window,
  }),
};

/** Anthropic's async shape has Anthropic's habits: `type`, and times as RFC 3339 (as in Message Batches). */
const messagesEdge: ApiEdge = {
  api: 'messages',
  dto: CreateMessageDto,
  pending: (r) => ({
    id: r.id, type: 'message.async', status: r.status, model: r.model,
    created_at: new Date(r.created_at).toISOString(), completion_window: r.window,
  }),
};

/** The three create edges, shared by the HTTP controllers and the NATS-native API. */
@Injectable()
export class ApiEdges {
  private readonly edges: Record<Api, ApiEdge>;

  constructor(responses: ResponsesService) {
    this.edges = {
      chat: chatEdge,
      messages: messagesEdge,
      responses: {
        api: 'responses',
        dto: CreateResponseDto,
        asyncByDefault: (body) => body.background === true,
        prepare: (tenant, body) => responses.continueFrom(tenant, body),
        finished: responseView,
        pending: responseView,
      },
    };
  }

  of(api: Api): ApiEdge {
    return this.edges[api];
  }
}

import { Module } from '@nestjs/common';
import { QueueMetrics } from '@reqrun/runtime';
import { ChatController } from './chat/chat.controller.js';
import { MessagesController } from './messages/messages.controller.js';
import { TokenCountService } from './messages/token-count.service.js';
import { ModelsController } from './models/models.controller.js';
import { RequestsController } from './requests/requests.controller.js';
import { RequestsService } from './requests/requests.service.js';
import { ResponsesController } from './responses/responses.controller.js';
import { ResponsesService } from './responses/responses.service.js';
import { ApiEdges } from './submit/api-edges.js';
import { CreateHandler } from './submit/create.handler.js';
import { NatsApiServer } from './nats-api/nats-api.server.js';
import { SubmitService } from './submit/submit.service.js';
import { Waiter } from './submit/waiter.js';
import { ChunkReader } from './streaming/chunk.reader.js';
import { StreamResponder } from './streaming/stream.responder.js';

@Module({
  controllers: [ChatController, ResponsesController, MessagesController, RequestsController, ModelsController],
  providers: [SubmitService, Waiter, CreateHandler, ApiEdges, NatsApiServer, RequestsService, ResponsesService, QueueMetrics,
    ChunkReader, StreamResponder, TokenCountService],
})
export class IngressModule {}

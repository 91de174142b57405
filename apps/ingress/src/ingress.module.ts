import { Module } from '@nestjs/common';
import { Counter } from 'prom-client';
import { LOGGER, Nats, QueueMetrics, type Logger } from '@reqrun/runtime';
import { RequestIndex } from '@reqrun/store';
import { ChatController } from './chat/chat.controller.js';
import { MessagesController } from './messages/messages.controller.js';
import { TokenCountService } from './messages/token-count.service.js';
import { ModelsController } from './models/models.controller.js';
import { RequestsController } from './requests/requests.controller.js';
import { RequestListing } from './requests/request.listing.js';
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
import { WebhookEndpointsService } from './webhooks/webhook-endpoints.service.js';
import { WebhooksController } from './webhooks/webhooks.controller.js';
import { FilesController } from './files/files.controller.js';
import { FilesService } from './files/files.service.js';
import { FileUploads } from './files/file.uploads.js';
import { BatchesController } from './batches/batches.controller.js';
import { MessageBatchesController } from './batches/message-batches.controller.js';
import { batchProviders } from './batches/batches.providers.js';

const unlisted = new Counter({ name: 'reqrun_ingress_unlisted_total', help: 'Requests stored and queued whose index entry could not be stored (GET /v1/requests does not list them)' });

@Module({
  controllers: [ChatController, ResponsesController, MessagesController, RequestsController, ModelsController, WebhooksController, FilesController, BatchesController, MessageBatchesController],
  providers: [SubmitService, Waiter, CreateHandler, ApiEdges, NatsApiServer, RequestsService, RequestListing, ResponsesService, QueueMetrics,
    ChunkReader, StreamResponder, TokenCountService, WebhookEndpointsService, FilesService, FileUploads,
    ...batchProviders,
    { provide: RequestIndex, useFactory: (n: Nats, log: Logger) => new RequestIndex(n.nc, n.names, (subject, why) => {
      unlisted.inc();
      log.warn({ subject, why }, 'a request could not be added to the index: it runs, but GET /v1/requests does not list it');
    }), inject: [Nats, LOGGER] }],
})
export class IngressModule {}

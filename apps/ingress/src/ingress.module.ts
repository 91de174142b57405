import { Module } from '@nestjs/common';
import { ChatController } from './chat/chat.controller.js';
import { RequestsController } from './requests/requests.controller.js';
import { RequestsService } from './requests/requests.service.js';
import { SubmitService } from './submit/submit.service.js';
import { Waiter } from './submit/waiter.js';

@Module({
  controllers: [ChatController, RequestsController],
  providers: [SubmitService, Waiter, RequestsService],
})
export class IngressModule {}

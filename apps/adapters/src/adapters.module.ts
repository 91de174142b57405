import { Module } from '@nestjs/common';
import { DispatchWorker } from './dispatch.worker.js';
import { InFlightCalls } from './in-flight.calls.js';
import { TokenCounter } from './token.counter.js';
import { WebhookWorker } from './webhooks/webhook.worker.js';

@Module({ providers: [InFlightCalls, DispatchWorker, WebhookWorker, TokenCounter] })
export class AdaptersModule {}

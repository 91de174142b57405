import { Module } from '@nestjs/common';
import { DispatchWorker } from './dispatch.worker.js';
import { InFlightCalls } from './in-flight.calls.js';
import { ProviderAdapters } from './providers/provider.registry.js';
import { TokenCounter } from './token.counter.js';
import { WebhookWorker } from './webhooks/webhook.worker.js';

@Module({ providers: [ProviderAdapters, InFlightCalls, DispatchWorker, WebhookWorker, TokenCounter] })
export class AdaptersModule {}

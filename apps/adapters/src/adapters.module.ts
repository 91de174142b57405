import { Module } from '@nestjs/common';
import { DispatchWorker } from './dispatch.worker.js';
import { InFlightCalls } from './in-flight.calls.js';

@Module({ providers: [InFlightCalls, DispatchWorker] })
export class AdaptersModule {}

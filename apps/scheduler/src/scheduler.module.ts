import { Module } from '@nestjs/common';
import { SubmitWorker } from './submit.worker.js';

@Module({ providers: [SubmitWorker] })
export class SchedulerModule {}

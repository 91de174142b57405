import { Nats } from '@reqrun/runtime';
import { BatchStore } from '@reqrun/store';
import { BatchEvents } from './batch.events.js';
import { BatchFanOut } from './batch.fanout.js';
import { BatchOutput } from './batch.output.js';
import { BatchProgress } from './batch.progress.js';
import { BatchWorker } from './batch.worker.js';
import { BatchesService } from './batches.service.js';
import { BatchControl } from './batch.control.js';
import { MessageBatchesService } from './message-batches.service.js';

/** The batch APIs' parts (OpenAI's and Anthropic's), provided by the ingress module (they use its create path and cancels). */
export const batchProviders = [
  BatchesService, MessageBatchesService, BatchControl, BatchFanOut, BatchProgress, BatchOutput, BatchEvents, BatchWorker,
  { provide: BatchStore, useFactory: (n: Nats) => new BatchStore(n.buckets.batches), inject: [Nats] },
];

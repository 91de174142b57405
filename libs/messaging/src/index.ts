export * from './nats-connection.js';
export * from './nats-errors.js';
export * from './provision.js';
export * from './work-consumer.js';
export * from './bus.js';
export * from './stream-reads.js';
export * from './work-context.js';
export * from './nats-client-tuning.js';

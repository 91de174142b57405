export * from './tokens.js';
export * from './logger.js';
export * from './nats.handles.js';
export * from './runtime.module.js';
export * from './health.controller.js';
export * from './bootstrap.js';
export * from './lifecycle.js';
export * from './queue.metrics.js';

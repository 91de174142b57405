export * from './request.store.js';
export * from './idempotency.store.js';
export * from './breaker.store.js';
export * from './limit.store.js';
export * from './request.index.js';
export * from './webhook-endpoints.store.js';
export * from './file.store.js';
export * from './batch.store.js';

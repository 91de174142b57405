export * from './ids.js';
export * from './subjects.js';
export * from './errors.js';
export * from './request-state.js';
export * from './messages.js';
export * from './canonical.js';
export * from './retry.js';
export * from './breaker.js';

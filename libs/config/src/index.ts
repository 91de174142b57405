export * from './config.types.js';
export * from './load-config.js';

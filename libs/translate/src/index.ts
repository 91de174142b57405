export * from './shape-parts.js';
export * from './chat.translate.js';
export * from './messages.translate.js';
export * from './responses.translate.js';
export * from './mock-answer.js';
export * from './api-shapes.js';

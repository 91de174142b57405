export * from './chat.translate.js';
export * from './mock-answer.js';
export * from './api-shapes.js';

export * from './free-port.js';
export * from './log-tail.js';
export * from './spawn-logged.js';
export * from './wait-ready.js';
export * from './repo-root.js';
export * from './nats-server.js';
export * from './app-process.js';
export * from './mesh.js';

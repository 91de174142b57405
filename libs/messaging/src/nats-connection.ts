import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';

export interface ConnectOptions {
  url: string;
  /** Shown in the server's connection list: which app this is. */
  name: string;
}

/** Connects and keeps reconnecting for ever: an app outlives a NATS restart. */
export function connectNats(o: ConnectOptions): Promise<NatsConnection> {
  return connect({
    servers: o.url.split(',').map((s) => s.trim()),
    name: o.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: false,
    pingInterval: 10_000,
    // Capturing a stack for every request/publish ack costs ~10% of CPU on the hot path; our errors carry context anyway.
    noAsyncTraces: true,
  });
}

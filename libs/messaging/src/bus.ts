import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { headers, type NatsConnection } from '@nats-io/nats-core';
import { currentContext, TRACEPARENT } from './work-context.js';

/** Publishing, in the two flavours ReqRun needs. */
export class Bus {
  private readonly js: JetStreamClient;

  constructor(readonly nc: NatsConnection) {
    this.js = jetstream(nc);
  }

  /**
   * Durable publish into a stream; `msgID` makes a repeat within the duplicate window a no-op. The current trace
   * context goes in a `traceparent` header (the item itself stays the same), so the consumer continues the trace.
   * False when the stream dropped it as such a repeat (what it holds is the first one's).
   */
  async persist(subject: string, item: unknown, msgID: string, traceparent = currentContext()?.traceparent): Promise<boolean> {
    const h = traceparent ? headers() : undefined;
    h?.set(TRACEPARENT, traceparent!);
    const ack = await this.js.publish(subject, JSON.stringify(item), { msgID, ...(h ? { headers: h } : {}) });
    return !ack.duplicate;
  }

  /** Fire-and-forget core publish (wake-ups and lifecycle notices; the record stays the truth). `json`: `item` already serialized. */
  notify(subject: string, item: unknown, json?: string): void {
    this.nc.publish(subject, json ?? JSON.stringify(item));
  }
}

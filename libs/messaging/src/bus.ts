import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';

/** Publishing, in the two flavours ReqRun needs. */
export class Bus {
  private readonly js: JetStreamClient;

  constructor(readonly nc: NatsConnection) {
    this.js = jetstream(nc);
  }

  /** Durable publish into a stream; `msgID` makes a repeat within the duplicate window a no-op. */
  async persist(subject: string, item: unknown, msgID: string): Promise<void> {
    await this.js.publish(subject, JSON.stringify(item), { msgID });
  }

  /** Fire-and-forget core publish (wake-ups and lifecycle notices; the record stays the truth). */
  notify(subject: string, item: unknown): void {
    this.nc.publish(subject, JSON.stringify(item));
  }
}

import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { childSpan, runInContext, TRACEPARENT } from './work-context.js';

/** What a handler decided; only this module turns it into ack / nak / term. */
export type Outcome = { kind: 'ack' } | { kind: 'retry'; delayMs: number } | { kind: 'drop'; reason: string } | { kind: 'leave' };
export const ack: Outcome = { kind: 'ack' };
/**
 * Neither ack nor nak: this delivery is older than the one another process is working on (this process was frozen
 * while it waited), and the server takes an ack or a nak of any delivery as one of the message.
 */
export const leave: Outcome = { kind: 'leave' };
export const retryIn = (delayMs: number): Outcome => ({ kind: 'retry', delayMs: Math.max(0, Math.round(delayMs)) });
export const drop = (reason: string): Outcome => ({ kind: 'drop', reason });

export interface Delivery {
  /** How many times this message has been delivered (1 = first). */
  deliveryCount: number;
  /** The message's sequence in its stream: with `deliveryCount`, which delivery of which message this is. */
  streamSeq: number;
  signal: AbortSignal;
  /** This handler's span of the trace the message carried (a new trace when it carried none). */
  traceparent: string;
}

export type Handler<T> = (item: T, d: Delivery) => Promise<Outcome>;

export interface ConsumerOptions<T> {
  stream: string;
  durable: string;
  filter: string;
  /** Messages handled at once by this process. */
  concurrency: number;
  /** Messages delivered and not yet acked, deferred ones (nak with delay) included; -1 = no cap. A cap keeps a deep queue of deferred work from being cycled through. */
  maxAckPending?: number;
  /** Redelivery after this long without an ack or a heartbeat. */
  ackWaitMs?: number;
  /** Stop extending the ack after this long: a stuck handler must not hold a message for ever. */
  maxWorkingMs?: number;
  /** Created now, start at the stream's next message (a stream that keeps history, e.g. the events); default: all of it. */
  deliverNew?: boolean;
  handler: Handler<T>;
  /** `pull`: fetching failed (NATS away, heartbeats missed under load) and is retried; `handle`: a handler threw and its message is redelivered. */
  onError?: (e: unknown, where: 'pull' | 'handle', raw: string) => void;
}

export interface RunningConsumer {
  /** Stop pulling, wait (bounded) for in-flight handlers, then return. Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
  inFlight(): number;
}

/**
 * Pulls only as many messages as there are free handler slots, so nothing waits in a client buffer
 * while its ack timer runs; heartbeats (`working`) keep long handlers' messages from being redelivered.
 */
export async function runConsumer<T>(nc: NatsConnection, o: ConsumerOptions<T>): Promise<RunningConsumer> {
  const ackWaitMs = o.ackWaitMs ?? 30_000;
  const maxWorkingMs = o.maxWorkingMs ?? 15 * 60_000;
  const jsm = await jetstreamManager(nc);
  const wanted = {
    durable_name: o.durable,
    filter_subject: o.filter,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: o.deliverNew ? DeliverPolicy.New : DeliverPolicy.All,
    ack_wait: ackWaitMs * 1_000_000,
    max_ack_pending: o.maxAckPending ?? -1,
    max_deliver: -1,
  };
  try {
    await jsm.consumers.add(o.stream, wanted);
  } catch {
    // It exists with other settings (say a new ack_wait): update what may change.
    await jsm.consumers.update(o.stream, o.durable, { ack_wait: wanted.ack_wait, max_ack_pending: wanted.max_ack_pending, max_deliver: -1 });
  }
  const consumer = await jetstream(nc).consumers.get(o.stream, o.durable);
  const abort = new AbortController();
  const running = new Set<Promise<void>>();
  let slotFreed: () => void = () => {};
  let stopping: Promise<void> | undefined;

  const handle = async (m: JsMsg): Promise<void> => {
    const startedAt = Date.now();
    const beat = setInterval(() => {
      if (Date.now() - startedAt < maxWorkingMs) m.working();
    }, Math.max(1000, Math.floor(ackWaitMs / 3)));
    try {
      const item = m.json<T>();
      // The handler runs in the item's context: its log lines name the request and trace, what it publishes carries the trace on.
      const traceparent = childSpan(m.headers?.get(TRACEPARENT) || undefined);
      const id = (item as { id?: unknown } | null)?.id;
      const outcome = await runInContext({ traceparent, ...(typeof id === 'string' ? { request_id: id } : {}) }, () =>
        o.handler(item, { deliveryCount: m.info.deliveryCount, streamSeq: m.seq, signal: abort.signal, traceparent }));
      settle(m, outcome);
    } catch (e) {
      o.onError?.(e, 'handle', m.string());
      m.nak(1000); // our own fault (e.g. NATS briefly away): try again shortly
    } finally {
      clearInterval(beat);
    }
  };

  const loop = async () => {
    while (!abort.signal.aborted) {
      const free = o.concurrency - running.size;
      if (free <= 0) {
        await new Promise<void>((r) => (slotFreed = r));
        continue;
      }
      try {
        const batch = await consumer.fetch({ max_messages: free, expires: 2000 });
        for await (const m of batch) {
          const p = handle(m).finally(() => {
            running.delete(p);
            slotFreed();
          });
          running.add(p);
          if (abort.signal.aborted) break;
        }
      } catch (e) {
        if (abort.signal.aborted) break;
        o.onError?.(e, 'pull', '');
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  };
  const looping = loop();

  return {
    inFlight: () => running.size,
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        abort.abort();
        slotFreed();
        await looping.catch(() => {});
        await Promise.race([Promise.allSettled([...running]), new Promise((r) => setTimeout(r, graceMs))]);
      })();
      return stopping;
    },
  };
}

function settle(m: JsMsg, outcome: Outcome): void {
  switch (outcome.kind) {
    case 'ack':
      m.ack();
      return;
    case 'retry':
      m.nak(outcome.delayMs);
      return;
    case 'drop':
      m.term(outcome.reason);
      return;
    case 'leave':
      return;
  }
}

import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Config } from '@reqrun/config';
import { names, webhookEventId } from '@reqrun/contracts';
import { Bus, type Buckets } from '@reqrun/messaging';
import type { Logger, Nats } from '@reqrun/runtime';
import { BatchStore, newBatchId, type BatchRecord } from '@reqrun/store';
import { startLayout, stopLayout, type NatsServer } from '@reqrun/testing';
import { BatchEvents, batchEvent } from './batch.events.js';
import { BatchWorker } from './batch.worker.js';

let nats: NatsServer;
let nc: NatsConnection;
let buckets: Buckets;
let handles: Nats;
const n = names('rr');

beforeAll(async () => {
  ({ nats, nc, buckets } = await startLayout('rr'));
  // The parts of the Nats handle BatchEvents uses, on a real server (Nats.open needs a whole configuration).
  handles = { nc, bus: new Bus(nc), names: n, buckets } as unknown as Nats;
});
afterAll(() => stopLayout(nc, nats));

const batch = (status: BatchRecord['status'], extra: Partial<BatchRecord> = {}): BatchRecord => {
  const at = Date.now();
  return {
    id: newBatchId(at), tenant: 'a', endpoint: '/v1/chat/completions', input_file_id: `file-${'a'.repeat(24)}`, completion_window: '24h', metadata: null,
    status, created_at: at, expires_at: at + 86_400_000, request_counts: { total: 1, completed: 1, failed: 0 }, chunks: 1, settled: [[1, 0]], ...extra,
  };
};

/** The messages the events stream holds on a subject, with their Nats-Msg-Id. */
async function stored(subject: string): Promise<{ count: number; msgId?: string; body?: unknown }> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(n.eventsStream, { subjects_filter: subject });
  const count = info.state.subjects?.[subject] ?? 0;
  if (count === 0) return { count };
  const m = await jsm.streams.getMessage(n.eventsStream, { last_by_subj: subject });
  return { count, msgId: m!.header.get('Nats-Msg-Id'), body: m!.json() };
}

describe('batchEvent', () => {
  it("tells a final batch's status and when it ended; nothing for a running one", () => {
    const b = batch('completed', { completed_at: 1_795_440_080_123 });
    expect(batchEvent(b)).toEqual({ id: b.id, object: 'batch', tenant: 'a', status: 'completed', at: 1_795_440_080_123 });
    expect(batchEvent(batch('cancelling'))).toBeNull();
    expect(batchEvent(batch('finalizing'))).toBeNull();
    expect(batchEvent({ ...b, id: b.id.replace(/^batch_/, 'msgbatch_') })).toBeNull(); // an Anthropic Message Batch
  });
});

describe('BatchEvents', () => {
  it('publishes on the batch kind, with the event id as Nats-Msg-Id; a repeat is dropped by the stream', async () => {
    const b = batch('failed', { failed_at: Date.now() });
    const events = new BatchEvents(handles);
    expect(await events.told(b)).toBe(true);
    expect(await events.told(b)).toBe(false);
    const subject = n.batchEvent('failed', b.id);
    expect(subject).toBe(`rr.event.batch_failed.${b.id}`);
    expect(await stored(subject)).toEqual({ count: 1, msgId: webhookEventId(b.id, 'failed'), body: batchEvent(b) });
    expect((await stored(n.event('failed', b.id))).count).toBe(0); // not a request's event
  });
});

describe('BatchWorker, a delivery that finds the batch final', () => {
  it('publishes its end again before acking (a crash may have come between the status and the event): one event stored', async () => {
    const store = new BatchStore(buckets.batches);
    const b = batch('completed', { completed_at: Date.now() });
    await store.create(b); // final status stored, event never published: what a crash between the two leaves
    const unused = undefined as never; // a final batch reads no input and runs no step
    const log = { info: () => undefined } as unknown as Logger;
    const worker = new BatchWorker({} as Config, log, handles, store, unused, unused, unused, unused, new BatchEvents(handles));
    const delivery = (deliveryCount: number) => ({ deliveryCount, streamSeq: 1, signal: new AbortController().signal, traceparent: '' });
    expect(await worker.handle(b, delivery(2))).toEqual({ kind: 'ack' });
    expect(await worker.handle(b, delivery(3))).toEqual({ kind: 'ack' });
    expect(await stored(n.batchEvent('completed', b.id))).toEqual({ count: 1, msgId: webhookEventId(b.id, 'completed'), body: batchEvent(b) });
  });
});

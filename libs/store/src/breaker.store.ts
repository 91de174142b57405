import type { KV, KvWatchEntry } from '@nats-io/kv';
import type { QueuedIterator } from '@nats-io/nats-core';
import { breakerAfter, closedBreaker, type BreakerPolicy, type BreakerState, type CallOutcome, type Clock } from '@reqrun/contracts';
import { isWrongLastSequence } from '@reqrun/messaging';

/**
 * Every provider's circuit breaker, shared by all processes through one KV bucket (key = provider name).
 * Adapters report each call's outcome (a compare-and-set, and only when the state changes: a success on a closed
 * breaker costs nothing); schedulers read the local copy a KV watch keeps current, so routing never waits on NATS.
 */
export class BreakerStore {
  private readonly seen = new Map<string, BreakerState>();
  private watcher?: QueuedIterator<KvWatchEntry>;
  private watching?: Promise<void>;

  constructor(private readonly kv: KV, private readonly clock: Clock, private readonly policy: BreakerPolicy) {}

  /**
   * Follows every breaker (current values first, then changes) until `stop()`. It does not wait for the first
   * values: until they arrive every breaker reads closed, which only costs a few calls to a paused provider.
   */
  async start(): Promise<void> {
    if (this.watcher) return;
    const w = (this.watcher = await this.kv.watch({ key: '>' }));
    this.watching = (async () => {
      for await (const e of w) {
        if (e.operation === 'PUT') this.seen.set(e.key, e.json<BreakerState>());
        else this.seen.delete(e.key);
      }
    })();
  }

  async stop(): Promise<void> {
    this.watcher?.stop();
    await this.watching?.catch(() => {});
  }

  /** The breaker as this process last saw it. */
  state(provider: string): BreakerState | undefined {
    return this.seen.get(provider);
  }

  /** Applies one call's outcome with compare-and-set; returns the stored state. */
  async report(provider: string, o: CallOutcome): Promise<BreakerState> {
    const known = this.seen.get(provider) ?? closedBreaker;
    if (o.ok && breakerAfter(known, o, this.clock.now(), this.policy) === known) return known;
    for (;;) {
      const e = await this.kv.get(provider);
      const current = e?.operation === 'PUT' ? e.json<BreakerState>() : closedBreaker;
      const next = breakerAfter(current, o, this.clock.now(), this.policy);
      if (next === current) return current;
      try {
        if (e) await this.kv.update(provider, JSON.stringify(next), e.revision);
        else await this.kv.create(provider, JSON.stringify(next));
        this.seen.set(provider, next);
        return next;
      } catch (err) {
        if (!isWrongLastSequence(err)) throw err;
      }
    }
  }
}

import type { KV, KvWatchEntry } from '@nats-io/kv';
import type { QueuedIterator } from '@nats-io/nats-core';
import {
  breakerAfter, claimProbe, closedBreaker, isClosed, isHalfOpen, type BreakerPolicy, type BreakerState, type CallOutcome, type Clock,
} from '@reqrun/contracts';
import { changeKey } from './compare-and-set.js';

/**
 * Every provider's circuit breaker, shared by all processes through one KV bucket (key = provider name).
 * Adapters report each call's outcome (a compare-and-set, and only when the state changes: a success on a closed
 * breaker costs nothing); schedulers read the local copy a KV watch keeps current, so routing never waits on NATS,
 * except to claim a half-open breaker's probe.
 */
export class BreakerStore {
  private readonly seen = new Map<string, BreakerState>();
  /** Per provider, the claim this process has in flight: its other callers share its answer instead of racing it in KV. */
  private readonly claims = new Map<string, Promise<ProbeClaim>>();
  /** Per provider, the lease (`probe_until`) of the last probe this process won: what `releaseProbe` may undo. */
  private readonly won = new Map<string, number>();
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

  /** Whether this process's copy shows the breaker half-open: a call needs the probe (`claimProbe`). */
  halfOpen(provider: string): boolean {
    return isHalfOpen(this.seen.get(provider), this.clock.now(), this.policy);
  }

  /**
   * Whether the caller may call a provider it saw half-open: true when it won the probe (compare-and-set, one winner
   * across every process) or the breaker has closed meanwhile; false while another caller's probe runs or it is open again.
   */
  async claimProbe(provider: string): Promise<boolean> {
    const running = this.claims.get(provider);
    if (running) return (await running) === 'closed';
    const claim = this.claimInKv(provider).finally(() => this.claims.delete(provider));
    this.claims.set(provider, claim);
    return (await claim) !== 'refused';
  }

  private async claimInKv(provider: string): Promise<ProbeClaim> {
    const { state, written, now } = await this.change(provider, (current, t) => claimProbe(current, t, this.policy));
    if (written) {
      this.won.set(provider, state.probe_until!);
      return 'won';
    }
    this.seen.set(provider, state); // fresher than the watch's copy: the caller's next routing sees the probe's holder
    return isClosed(state, now, this.policy) ? 'closed' : 'refused';
  }

  /** The lease of the probe this process won last on `provider` (what an attempt sent as the probe carries). */
  wonProbe(provider: string): number | undefined {
    return this.won.get(provider);
  }

  /**
   * Gives back a probe whose attempt said nothing about the provider (its dispatch could not be stored, its call was
   * cancelled or its worker lost), so the next attempt probes now rather than a cool-down later. `lease`: the probe's
   * `probe_until` (by default the one this process won last). Nothing when the lease is no longer that one (an
   * outcome or another claim came first).
   */
  async releaseProbe(provider: string, lease = this.won.get(provider)): Promise<void> {
    if (lease === undefined) return;
    if (this.won.get(provider) === lease) this.won.delete(provider);
    await this.change(provider, ({ probe_until, ...released }) => (probe_until === lease ? released : undefined));
  }

  /** Applies one call's outcome with compare-and-set; returns the stored state. */
  async report(provider: string, o: CallOutcome): Promise<BreakerState> {
    const known = this.seen.get(provider) ?? closedBreaker;
    if (o.ok && breakerAfter(known, o, this.clock.now(), this.policy) === known) return known;
    const { state } = await this.change(provider, (current, now) => {
      const next = breakerAfter(current, o, now, this.policy);
      return next === current ? undefined : next;
    });
    return state;
  }

  /**
   * The one way a breaker is written (`changeKey`, closed when none is stored). Returns the state stored now, whether
   * this call wrote it, and the time `decide` was last asked at.
   */
  private async change(provider: string, decide: (current: BreakerState, now: number) => BreakerState | undefined): Promise<{ state: BreakerState; written: boolean; now: number }> {
    let now = 0;
    const { value: state, written } = await changeKey(this.kv, provider, () => closedBreaker, (current) => decide(current, (now = this.clock.now())));
    if (written) this.seen.set(provider, state);
    return { state, written, now };
  }
}

type ProbeClaim = 'won' | 'closed' | 'refused';

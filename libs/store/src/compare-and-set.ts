import type { KV } from '@nats-io/kv';
import { isWrongLastSequence } from '@reqrun/messaging';

/**
 * Read-decide-write on one KV key: reads the stored value (`empty()` when there is none), asks `decide` for the next
 * one (undefined = leave it) and writes it with compare-and-set, reading and deciding again after a lost race.
 * Returns the value stored now and whether this call wrote it.
 */
export async function changeKey<T>(kv: KV, key: string, empty: () => T, decide: (current: T) => T | undefined): Promise<{ value: T; written: boolean }> {
  for (;;) {
    const e = await kv.get(key);
    const current = e?.operation === 'PUT' ? e.json<T>() : empty();
    const next = decide(current);
    if (next === undefined) return { value: current, written: false };
    try {
      if (e) await kv.update(key, JSON.stringify(next), e.revision);
      else await kv.create(key, JSON.stringify(next));
      return { value: next, written: true };
    } catch (err) {
      if (!isWrongLastSequence(err)) throw err;
    }
  }
}

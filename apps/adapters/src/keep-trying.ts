import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Runs `fn` until it resolves, for up to `forMs` (backing off from 50 ms to 1 s): a NATS cluster electing a new
 * leader answers nothing for seconds. A failure for which `stop` says so, or one after the time is up, is thrown.
 * Only for writes that are safe to send again (a msgID, a compare-and-set).
 */
export async function keepTrying<T>(fn: () => Promise<T>, forMs: number, stop: (e: unknown) => boolean = () => false): Promise<T> {
  const until = Date.now() + forMs;
  for (let wait = 50; ; wait = Math.min(wait * 2, 1000)) {
    try {
      return await fn();
    } catch (e) {
      if (stop(e) || Date.now() + wait > until) throw e;
      await sleep(wait);
    }
  }
}

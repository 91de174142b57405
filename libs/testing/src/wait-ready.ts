import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  timeoutMs: number;
  intervalMs: number;
  /** Checked before every try: return a reason to give up at once (e.g. "the process exited with code 1"). */
  giveUp?: () => string | undefined;
  /** Names the thing waited for in the error. */
  what: string;
}

const waitDefaults: WaitOptions = { timeoutMs: 20_000, intervalMs: 50, what: 'condition' };

/** Polls `check` until it is true; throws when `giveUp` says so or on timeout. */
export async function waitUntil(check: () => Promise<boolean>, o: Partial<WaitOptions> = {}): Promise<void> {
  const { timeoutMs, intervalMs, giveUp, what } = { ...waitDefaults, ...o };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reason = giveUp?.();
    if (reason) throw new Error(`${what}: ${reason}`);
    if (await check()) return;
    if (Date.now() >= deadline) throw new Error(`${what}: not ready after ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

/** The status of GET url, or 0 when it cannot be reached within timeoutMs. */
export function httpStatus(url: string, timeoutMs = 1000): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** Waits until GET url answers 200 (e.g. an app's /readyz). */
export function waitForHttp(url: string, o: Partial<WaitOptions> = {}): Promise<void> {
  return waitUntil(async () => (await httpStatus(url)) === 200, { what: `GET ${url}`, ...o });
}

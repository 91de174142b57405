import type { CanonicalRequest, CanonicalResult } from '@reqrun/contracts';
import { mockAnswer } from '@reqrun/translate';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProviderError, type CallOptions, type ProviderAdapter } from './provider.js';

/**
 * The built-in offline provider. Per request, through `metadata`:
 * - `mock_latency_ms`: how long the call takes;
 * - `mock_fail`: `retryable` | `terminal` (every attempt fails that way), or `retryable:N` (the first N attempts fail).
 */
export class MockAdapter implements ProviderAdapter {
  readonly breaker = false;

  async call(req: CanonicalRequest, o: CallOptions): Promise<CanonicalResult> {
    const meta = req.metadata ?? {};
    const latency = Number(meta.mock_latency_ms ?? 0);
    if (latency > 0) await sleep(latency, undefined, { signal: o.signal });
    const failure = parseFailure(meta.mock_fail);
    if (failure && o.attempt <= failure.attempts) {
      throw failure.retryable
        ? new ProviderError('upstream_error', `mock failure (retryable) on attempt ${o.attempt}`, true, 502)
        : new ProviderError('upstream_rejected', 'mock failure (terminal): the provider rejected the request', false, 400);
    }
    return mockAnswer(req);
  }
}

function parseFailure(v: unknown): { retryable: boolean; attempts: number } | null {
  if (typeof v !== 'string' || v === '') return null;
  const [kind, n] = v.split(':');
  if (kind !== 'retryable' && kind !== 'terminal') return null;
  return { retryable: kind === 'retryable', attempts: n === undefined ? Infinity : Number(n) };
}

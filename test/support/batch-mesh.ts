import { createHash } from 'node:crypto';

/** The tenants of the batch tests: two that may run batches, and `nobatch`, which may not use the `batch` window. */
export const BATCH_TENANTS = ['alpha', 'beta', 'nobatch'];

/**
 * A mesh configuration for batch tests: the mock provider as `mock-1`, quick retries, a short ack wait and poll
 * (`batches` is merged over `poll_ms: 100` and `window_s`), and BATCH_TENANTS keyed by `keyOf`.
 */
export function batchMeshConfig(keyOf: (tenant: string) => string, window_s: number, batches: Record<string, unknown> = {}) {
  const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
  return {
    nats: { ack_wait_ms: 2000 },
    retry: { max_attempts: 2, base_delay_ms: 20, max_delay_ms: 100 },
    providers: [{ name: 'mock', type: 'mock' }],
    models: { 'mock-1': { targets: [{ provider: 'mock' }] } },
    batches: { poll_ms: 100, window_s, ...batches },
    tenants: BATCH_TENANTS.map((name) => ({ name, keys: [{ sha256: sha256(keyOf(name)) }], ...(name === 'nobatch' ? { windows: ['asap', 'standard'] } : {}) })),
  };
}

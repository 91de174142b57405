import { buildConfig } from '@reqrun/config';
import { directTarget } from './direct-dispatch.js';

const config = buildConfig({
  providers: [{ name: 'mock', type: 'mock' }, { name: 'slow', type: 'mock', limits: { rpm: 10 } }],
  models: {
    one: { targets: [{ provider: 'mock', model: 'inner' }] },
    two: { targets: [{ provider: 'mock' }, { provider: 'slow', fallback: true }] },
    limited: { targets: [{ provider: 'slow' }] },
    'limited-model': { targets: [{ provider: 'mock', model: 'scarce', limits: { tpm: 1000 } }] },
  },
  tenants: [
    { name: 'free', keys: [{ sha256: 'a'.repeat(64) }] },
    { name: 'rated', keys: [{ sha256: 'b'.repeat(64) }], limits: { rpm: 60 } },
    { name: 'capped', keys: [{ sha256: 'c'.repeat(64) }], limits: { max_queued: 5 } },
  ],
});
const closed = () => undefined;
const now = 1_000_000;

describe('directTarget: a new request the scheduler would have nothing to decide for', () => {
  it('is the one target of an asap request with no limits anywhere and its breaker closed', () => {
    expect(directTarget(config, 'free', 'one', 'asap', closed, now)).toEqual({ provider: 'mock', provider_model: 'inner' });
    expect(directTarget(config, 'default', 'one', 'asap', closed, now)).toEqual({ provider: 'mock', provider_model: 'inner' }); // an unconfigured (dev) tenant
    expect(directTarget(config, 'free', 'one', 'asap', () => ({ failures: 1, open_until: now - 1 }), now)).toBeDefined(); // a retry-after pause that has passed
  });

  it.each([
    ['a standard request (its window may hold it, it goes on the background lane)', 'free', 'one', 'standard'],
    ['a batch request', 'free', 'one', 'batch'],
    ['a model with a fallback (routing to do)', 'free', 'two', 'asap'],
    ['a rate-limited provider', 'free', 'limited', 'asap'],
    ["a rate-limited provider model (the target's limits)", 'free', 'limited-model', 'asap'],
    ['a rate-limited tenant', 'rated', 'one', 'asap'],
    ['a tenant with a queue cap (counted in the submit stream)', 'capped', 'one', 'asap'],
    ['an unknown model', 'free', 'nope', 'asap'],
  ] as const)('goes to the scheduler: %s', (_name, tenant, model, window) => {
    expect(directTarget(config, tenant, model, window, closed, now)).toBeUndefined();
  });

  it('goes to the scheduler while the breaker is open (it routes around or holds)', () => {
    expect(directTarget(config, 'free', 'one', 'asap', () => ({ state: 'open', failures: 5, open_until: now + 1 }) as never, now)).toBeUndefined();
  });

  it('goes to the scheduler while the breaker is half-open (one probe at a time, claimed there)', () => {
    expect(directTarget(config, 'free', 'one', 'asap', () => ({ failures: 5, open_until: now - 1 }), now)).toBeUndefined();
  });
});

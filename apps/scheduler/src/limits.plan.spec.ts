import { buildConfig } from '@reqrun/config';
import { DEFAULT_OUTPUT_RESERVE, reserveTokens, scopesFor } from './limits.plan.js';

describe('scopesFor: where an attempt reserves', () => {
  const config = buildConfig({
    providers: [{ name: 'mock', type: 'mock' }, { name: 'rl', type: 'mock', limits: { rpm: 20, period_s: 1 } }],
    models: { 'mock-1': { targets: [{ provider: 'mock' }] } },
    tenants: [{ name: 'team-a', limits: { tpm: 1000 } }, { name: 'team-b', limits: { max_queued: 10 } }],
  });
  it.each([
    ['a limited tenant on a limited provider: tenant first', 'team-a', 'rl', ['tenant.team-a', 'provider.rl']],
    ['a tenant absent from the config is unlimited', 'default', 'rl', ['provider.rl']],
    ['max_queued alone is no rate limit', 'team-b', 'mock', []],
    ['nothing limited: no KV access at all', 'default', 'mock', []],
  ])('%s', (_n, tenant, provider, want) => {
    expect(scopesFor(config, tenant, provider).map((s) => s.scope)).toEqual(want);
  });
});

describe('reserveTokens: the estimate reserved before dispatch', () => {
  it.each([
    ['prompt plus max_tokens', { model: 'm', messages: [{ role: 'user' as const, content: 'x'.repeat(400) }], max_tokens: 5 }, 105],
    ['system prompt counted', { model: 'm', system: 'y'.repeat(39), messages: [{ role: 'user' as const, content: 'x'.repeat(40) }], max_tokens: 1 }, 21],
    ['no cap: the default output reserve', { model: 'm', messages: [{ role: 'user' as const, content: 'abcd' }] }, 1 + DEFAULT_OUTPUT_RESERVE],
  ])('%s', (_n, req, want) => {
    expect(reserveTokens(req)).toBe(want);
  });
});

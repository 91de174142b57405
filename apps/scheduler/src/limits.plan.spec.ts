import { buildConfig } from '@reqrun/config';
import { DEFAULT_OUTPUT_RESERVE, reserveTokens, scopesFor } from './limits.plan.js';

describe('scopesFor: where an attempt reserves', () => {
  const config = buildConfig({
    providers: [{ name: 'mock', type: 'mock' }, { name: 'rl', type: 'mock', limits: { rpm: 20, period_s: 1 } }],
    models: { 'mock-1': { targets: [{ provider: 'mock' }] }, 'small': { targets: [{ provider: 'rl', model: 'llama3:8b', limits: { rpm: 5 } }] } },
    tenants: [{ name: 'team-a', limits: { tpm: 1000 } }, { name: 'team-b', limits: { max_queued: 10 } }],
  });
  it.each([
    ['a limited tenant on a limited provider: tenant first', 'team-a', 'rl', ['tenant.team-a', 'provider.rl']],
    ['a tenant absent from the config is unlimited', 'default', 'rl', ['provider.rl']],
    ['max_queued alone is no rate limit', 'team-b', 'mock', []],
    ['nothing limited: no KV access at all', 'default', 'mock', []],
  ])('%s', (_n, tenant, provider, want) => {
    expect(scopesFor(config, tenant, { provider, model: 'm' }).map((s) => s.scope)).toEqual(want);
  });

  it("a target's limits are its provider model's: last, under a key any model name fits in", () => {
    const [target] = config.models.small.targets;
    const scopes = scopesFor(config, 'team-a', target);
    expect(scopes.map((s) => s.scope)).toEqual(['tenant.team-a', 'provider.rl', `target.rl.${Buffer.from('llama3:8b').toString('base64url')}`]);
    expect(scopes.at(-1)!.scope).toMatch(/^[-/_=.a-zA-Z0-9]+$/);
    expect(scopes.at(-1)!.spec).toEqual({ rpm: 5 });
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

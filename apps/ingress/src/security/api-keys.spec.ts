import { createHash } from 'node:crypto';
import { buildConfig } from '@reqrun/config';
import { ApiKeys, checkModelAllowed, checkWindowAllowed, DEV_TENANT, mayUse } from './api-keys.js';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const config = buildConfig({
  models: { m1: { targets: [{ provider: 'mock' }] }, m2: { targets: [{ provider: 'mock' }] } },
  tenants: [
    { name: 'a', keys: [{ sha256: sha256('key-a') }, { env: 'A_KEY_2' }] },
    { name: 'b', keys: [{ sha256: sha256('key-b') }], models: ['m1'], windows: ['asap'] },
  ],
});

describe('ApiKeys', () => {
  const sut = ApiKeys.from(config, { A_KEY_2: 'key-a-2' });

  it.each([
    [{ authorization: 'Bearer key-a' }, 'a'],
    [{ authorization: 'bearer   key-a-2' }, 'a'],
    [{ 'x-api-key': 'key-b' }, 'b'],
    [{ authorization: 'Bearer key-b', 'x-api-key': 'key-a' }, 'b'],
  ])('finds the tenant of %j', (headers, tenant) => {
    expect(sut.resolve(headers).name).toBe(tenant);
  });

  it.each([
    [{}, 'missing_api_key'],
    [{ authorization: 'Basic a2V5LWE=' }, 'missing_api_key'],
    [{ authorization: 'Bearer key-c' }, 'invalid_api_key'],
    [{ 'x-api-key': sha256('key-a') }, 'invalid_api_key'],
  ])('refuses %j with a 401 %s', (headers, code) => {
    expect(() => sut.resolve(headers)).toThrow(expect.objectContaining({ status: 401, code }));
  });

  it('refuses to start when a key env var is unset', () => {
    expect(() => ApiKeys.from(config, {})).toThrow('A_KEY_2 is not set');
  });

  it('is development mode, one open tenant, when no tenants are configured', () => {
    const dev = ApiKeys.from(buildConfig({}), {});
    expect(dev.devMode).toBe(true);
    expect(dev.resolve({})).toBe(DEV_TENANT);
  });

  it('checks allowed models and windows with a 403', () => {
    const b = sut.resolve({ 'x-api-key': 'key-b' });
    expect(() => checkModelAllowed(b, 'm2')).toThrow(expect.objectContaining({ status: 403, code: 'model_not_allowed' }));
    expect(() => checkWindowAllowed(b, 'batch')).toThrow(expect.objectContaining({ status: 403, code: 'completion_window_not_allowed' }));
    expect(() => checkModelAllowed(b, 'm1')).not.toThrow();
    expect([mayUse(b, 'm1'), mayUse(b, 'm2'), mayUse(sut.resolve({ 'x-api-key': 'key-a' }), 'm2')]).toEqual([true, false, true]);
  });
});

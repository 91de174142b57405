import { buildConfig, ConfigError } from './load-config.js';

describe('buildConfig', () => {
  it('gives development defaults: a mock provider serving mock-1', () => {
    const sut = buildConfig({});
    expect(sut.providers).toEqual([expect.objectContaining({ name: 'mock', type: 'mock' })]);
    expect(sut.models['mock-1'].targets).toEqual([{ provider: 'mock', model: 'mock-1', weight: 1, fallback: false }]);
    expect(sut.wait).toEqual({ default_s: 30, max_s: 600, sync_s: 600 });
  });

  it('lets env override the NATS url, prefix and the port of the app that loads it', () => {
    const sut = buildConfig({}, { NATS_URL: 'nats://x:1', REQRUN_HTTP_PORT: '9999', REQRUN_NATS_PREFIX: 't1' }, 'scheduler');
    expect(sut.nats.url).toBe('nats://x:1');
    expect(sut.nats.prefix).toBe('t1');
    expect(sut.http.scheduler.port).toBe(9999);
    expect(sut.http.ingress.port).toBe(8080);
  });

  it.each([
    [{ providers: [{ name: 'x', type: 'nope' }] }, /providers\[0\].type/],
    [{ providers: [{ name: 'x', type: 'openai' }] }, /not supported by this version yet/],
    [{ models: { m: { targets: [{ provider: 'ghost' }] } } }, /models.m.targets\[0\].provider 'ghost'/],
    [{ models: { m: { targets: [] } } }, /models.m needs at least one target/],
    [{ wait: { default_s: -1 } }, /wait.default_s/],
    [{ retry: { max_attempts: 'five' } }, /retry.max_attempts/],
  ])('names the bad field in %j', (raw, message) => {
    expect(() => buildConfig(raw)).toThrow(ConfigError);
    expect(() => buildConfig(raw)).toThrow(message);
  });
});

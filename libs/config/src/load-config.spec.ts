import { buildConfig, ConfigError } from './load-config.js';

describe('buildConfig', () => {
  it('windows: targets, expiry, promotion and share, with a target alone moving its expiry and promotion', () => {
    const sut = buildConfig({ windows: { standard: { target_s: 10 }, batch: { target_s: 100, expire_s: 150 } } });
    expect(sut.windows.asap).toEqual({ price: 1, target_s: 0, expire_s: 3600, promote_s: 0, share: 1 });
    expect(sut.windows.standard).toEqual({ price: 0.5, target_s: 10, expire_s: 20, promote_s: 1, share: 0.8 });
    expect(sut.windows.batch).toEqual({ price: 0.5, target_s: 100, expire_s: 150, promote_s: 10, share: 0.5 });
  });

  it('keeps request records 30 days after their last change unless told (0 = for ever)', () => {
    expect(buildConfig({}).requests).toEqual({ ttl_s: 2_592_000 });
    expect(buildConfig({ requests: { ttl_s: 0 } }).requests).toEqual({ ttl_s: 0 });
  });

  it("accepts uploads up to 200 MiB unless told (OpenAI's limit for a batch's input)", () => {
    expect(buildConfig({}).files).toEqual({ max_bytes: 209_715_200 });
    expect(buildConfig({ files: { max_bytes: 1024 } }).files).toEqual({ max_bytes: 1024 });
  });

  it('reads provider limits', () => {
    const sut = buildConfig({ providers: [{ name: 'm', type: 'mock', limits: { rpm: 20, tpm: 1000, concurrency: 4, period_s: 1 } }] });
    expect(sut.providers[0].limits).toEqual({ rpm: 20, tpm: 1000, concurrency: 4, period_s: 1 });
  });

  it("reads a target's limits, the same however many models route to that provider model", () => {
    const sut = buildConfig({
      models: { a: { targets: [{ provider: 'mock', model: 'up', limits: { rpm: 5, period_s: 1 } }] }, b: { targets: [{ provider: 'mock', model: 'up', limits: { period_s: 1, rpm: 5 } }] } },
    });
    expect(sut.models.b.targets[0]).toEqual({ provider: 'mock', model: 'up', weight: 1, fallback: false, limits: { period_s: 1, rpm: 5 } });
  });

  it('gives development defaults: a mock provider serving mock-1', () => {
    const sut = buildConfig({});
    expect(sut.providers).toEqual([expect.objectContaining({ name: 'mock', type: 'mock' })]);
    expect(sut.models['mock-1'].targets).toEqual([{ provider: 'mock', model: 'mock-1', weight: 1, fallback: false }]);
    expect(sut.wait).toEqual({ default_s: 30, max_s: 600, sync_s: 600 });
    expect(sut.streaming).toEqual({ cancel_on_disconnect: false, keepalive_s: 15 });
  });

  it('batches: defaults (a 24 h window, polled from every 5 s), overridable', () => {
    expect(buildConfig({}).batches).toEqual({ poll_ms: 5_000, window_s: 86_400, submit_concurrency: 32 });
    expect(buildConfig({ batches: { poll_ms: 100, window_s: 5 } }).batches).toEqual({ poll_ms: 100, window_s: 5, submit_concurrency: 32 });
  });

  it('webhook delivery: defaults (24 h of retries, private addresses refused), overridable', () => {
    expect(buildConfig({}).webhooks).toEqual({ allow_private: false, max_age_s: 86_400, timeout_ms: 10_000, base_delay_ms: 5_000, max_delay_ms: 3_600_000, concurrency: 16 });
    expect(buildConfig({ webhooks: { allow_private: true, max_age_s: 60 } }).webhooks).toMatchObject({ allow_private: true, max_age_s: 60, timeout_ms: 10_000 });
  });

  it('reads tenants: keys by hash or env, limits, allowed models and windows, webhooks', () => {
    const sut = buildConfig({ tenants: [{ name: 'team-a', keys: [{ sha256: 'A'.repeat(64) }, { env: 'TEAM_A_KEY' }], limits: { rpm: 60, period_s: 1 }, models: ['mock-1'], windows: ['asap'], webhooks: [{ url: 'https://x/y', secret_env: 'S' }] }] });
    expect(sut.tenants).toEqual([{ name: 'team-a', keys: [{ sha256: 'a'.repeat(64) }, { env: 'TEAM_A_KEY' }], limits: { rpm: 60, period_s: 1 }, models: ['mock-1'], windows: ['asap'], webhooks: [{ url: 'https://x/y', secret_env: 'S' }] }]);
    expect(buildConfig({}).tenants).toEqual([]);
  });

  it('reads NATS auth and TLS by env var name and file path, one way of authenticating at a time', () => {
    const sut = buildConfig({ nats: { user: 'reqrun', password_env: 'NATS_PASSWORD', tls: { ca: '/etc/nats/ca.pem', cert: '/c.pem', key: '/k.pem' } } });
    expect(sut.nats).toMatchObject({ user: 'reqrun', password_env: 'NATS_PASSWORD', tls: { ca: '/etc/nats/ca.pem', cert: '/c.pem', key: '/k.pem' } });
    expect(() => buildConfig({ nats: { token_env: 'T', creds_file: '/x.creds' } })).toThrow('nats: use one of');
    expect(() => buildConfig({ nats: { token_env: 'not a name' } })).toThrow('nats.token_env must name an environment variable');
    expect(() => buildConfig({ nats: { password_env: 'P' } })).toThrow('nats.password_env needs nats.user');
    expect(() => buildConfig({ nats: { tls: { cert: '/c.pem' } } })).toThrow('cert and key go together');
  });

  it('lets env override the NATS url, prefix and the port of the app that loads it', () => {
    const sut = buildConfig({}, { NATS_URL: 'nats://x:1', REQRUN_HTTP_PORT: '9999', REQRUN_NATS_PREFIX: 't1' }, 'scheduler');
    expect(sut.nats.url).toBe('nats://x:1');
    expect(sut.nats.prefix).toBe('t1');
    expect(sut.http.scheduler.port).toBe(9999);
    expect(sut.http.ingress.port).toBe(8080);
  });

  it('runs one process per app unless told more, by http.<app>.workers or REQRUN_WORKERS for the app that loads it', () => {
    expect(buildConfig({}).http.ingress.workers).toBe(1);
    expect(buildConfig({ http: { ingress: { workers: 2 } } }).http.ingress.workers).toBe(2);
    const sut = buildConfig({}, { REQRUN_WORKERS: '3' }, 'adapters');
    expect([sut.http.adapters.workers, sut.http.ingress.workers]).toEqual([3, 1]);
    expect(() => buildConfig({ http: { ingress: { workers: 0 } } })).toThrow('http.ingress.workers must be an integer from 1 to 64');
    expect(() => buildConfig({ http: { scheduler: { workers: 1.5 } } })).toThrow('http.scheduler.workers must be');
    expect(() => buildConfig({}, { REQRUN_WORKERS: 'two' }, 'ingress')).toThrow("REQRUN_WORKERS must be an integer (got 'two')");
  });

  it('takes openai and anthropic providers, without a trailing slash, the key only by env var name', () => {
    const sut = buildConfig({
      providers: [
        { name: 'oai', type: 'openai', base_url: 'https://api.openai.com/v1/', api_key_env: 'OPENAI_API_KEY', responses_api: true },
        { name: 'local', type: 'openai', base_url: 'http://127.0.0.1:11434/v1' },
        { name: 'claude', type: 'anthropic', base_url: 'https://api.anthropic.com' },
      ],
      models: { m: { targets: [{ provider: 'oai' }, { provider: 'claude', model: 'claude-haiku-4-5', fallback: true }] } },
    });
    expect(sut.providers.map((p) => [p.name, p.base_url])).toEqual([['oai', 'https://api.openai.com/v1'], ['local', 'http://127.0.0.1:11434/v1'], ['claude', 'https://api.anthropic.com']]);
    expect(sut.providers[0]).toMatchObject({ api_key_env: 'OPENAI_API_KEY', responses_api: true, concurrency: 64, timeout_ms: 600_000 });
    expect(sut.models.m.targets[1]).toEqual({ provider: 'claude', model: 'claude-haiku-4-5', weight: 1, fallback: true });
    expect(sut.breaker).toEqual({ failures: 5, cooldown_ms: 30_000 });
  });

  it.each([
    [{ providers: [{ name: 'x', type: 'nope' }] }, /providers\[0\].type/],
    [{ providers: [{ name: 'x', type: 'openai' }] }, /providers\[0\] \(x\).base_url must be an http\(s\) URL/],
    [{ providers: [{ name: 'x', type: 'anthropic', base_url: 'ftp://h' }] }, /base_url must be http or https/],
    [{ providers: [{ name: 'x', type: 'openai', base_url: 'http://h/v1?api-version=1' }] }, /must not carry a query/],
    [{ providers: [{ name: 'x', type: 'openai', base_url: 'http://h', api_key_env: 'sk-123' }] }, /api_key_env must name an environment variable/],
    [{ providers: [{ name: 'x', type: 'anthropic', base_url: 'http://h', responses_api: true }] }, /responses_api is a boolean for type openai only/],
    [{ providers: [{ name: 'x', type: 'openai', base_url: 'http://h', max_tokens_field: 'num_predict' }] }, /max_tokens_field is max_completion_tokens or max_tokens/],
    [{ providers: [{ name: 'x', type: 'openai', base_url: 'http://h', timeout_ms: 0 }] }, /providers\[0\].timeout_ms/],
    [{ breaker: { cooldown_ms: -5 } }, /breaker.cooldown_ms/],
    [{ models: { m: { targets: [{ provider: 'ghost' }] } } }, /models.m.targets\[0\].provider 'ghost'/],
    [{ models: { m: { targets: [] } } }, /models.m needs at least one target/],
    [{ wait: { default_s: -1 } }, /wait.default_s/],
    [{ streaming: { keepalive_s: 0 } }, /streaming.keepalive_s/],
    [{ streaming: { cancel_on_disconnect: 'yes' } }, /streaming.cancel_on_disconnect must be true or false/],
    [{ tenants: [{ name: 'a b' }] }, /tenants\[0\].name/],
    [{ tenants: [{ name: 'a', keys: [{ sha256: 'xyz' }] }] }, /tenants\[0\].keys\[0\] needs sha256/],
    [{ tenants: [{ name: 'a', limits: { rpm: 0 } }] }, /tenants\[0\].limits.rpm/],
    [{ tenants: [{ name: 'a', models: ['nope'] }] }, /'nope' is not a configured model/],
    [{ tenants: [{ name: 'a', webhooks: [{ url: 'ftp://x', secret_env: 'S' }] }] }, /webhooks\[0\].url/],
    [{ retry: { max_attempts: 'five' } }, /retry.max_attempts/],
    [{ webhooks: { max_age_s: 0 } }, /webhooks.max_age_s/],
    [{ files: { max_bytes: 0 } }, /files.max_bytes must be a positive whole number/],
    [{ files: { max_bytes: '1 GB' } }, /files.max_bytes must be a positive whole number/],
    [{ batches: { poll_ms: 0 } }, /batches.poll_ms must be a positive number/],
    [{ batches: { window_s: 'a day' } }, /batches.window_s must be a positive number/],
    [{ requests: { ttl_s: 200_000 }, batches: { window_s: 300_000 } }, /requests.ttl_s \(200000\) must be longer than batches.window_s \(300000\)/],
    [{ webhooks: { allow_private: 'yes' } }, /webhooks.allow_private/],
    [{ tenants: [{ name: 'a', webhooks: [{ url: 'https://x', secret_env: 'S', events: ['request.done'] }] }] }, /webhooks\[0\].events: 'request.done' is not an event type/],
    [{ tenants: [{ name: 'a', webhooks: [{ url: 'https://x', secret_env: 'S' }, { url: 'https://x', secret_env: 'T', events: ['request.failed'] }] }] }, /webhooks\[1\].url repeats an endpoint/],
    [{ providers: [{ name: 'x', type: 'mock', limits: { rpm: -1 } }] }, /providers\[0\] \(x\).limits.rpm must be a positive number/],
    [{ providers: [{ name: 'x', type: 'mock', limits: { rps: 5 } }] }, /limits.rps is not a limit/],
    [{ windows: { standard: { share: 1.5 } } }, /windows.standard.share must be between 0 and 1/],
    [{ windows: { batch: { expire_s: 0 } } }, /windows.batch.expire_s/],
    [{ requests: { ttl_s: -1 } }, /requests.ttl_s must be a number >= 0/],
    [{ requests: { ttl_s: 100_000 } }, /requests.ttl_s \(100000\) must be longer than windows.batch.expire_s \(172800\)/],
    [{ requests: { ttl_s: 7200 }, windows: { batch: { target_s: 60, expire_s: 120 } }, idempotency: { ttl_s: 86_400 } }, /must be at least idempotency.ttl_s/],
    [{ requests: { ttl_s: 7200 }, windows: { batch: { target_s: 60, expire_s: 120 } }, idempotency: { ttl_s: 60 } }, /must be longer than webhooks.max_age_s \(86400\)/],
    [{ models: { m: { targets: [{ provider: 'mock' }], price: { input_per_mtok: 1 } } } }, /models.m.price.output_per_mtok/],
    [{ models: { m: { targets: [{ provider: 'mock', limits: { tpm: 'lots' } }] } } }, /models.m.targets\[0\].limits.tpm must be a positive number/],
    [
      { models: { a: { targets: [{ provider: 'mock', model: 'up', limits: { rpm: 5 } }] }, b: { targets: [{ provider: 'mock', model: 'up', limits: { rpm: 6 } }] } } },
      /models.b.targets\[0\].limits must match models.a.targets\[0\].limits: both are mock's model 'up'/,
    ],
  ])('names the bad field in %j', (raw, message) => {
    expect(() => buildConfig(raw)).toThrow(ConfigError);
    expect(() => buildConfig(raw)).toThrow(message);
  });
});

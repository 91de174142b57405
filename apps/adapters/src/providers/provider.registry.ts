import { Inject, Injectable } from '@nestjs/common';
import type { Config, ProviderConfig } from '@reqrun/config';
import { systemClock, type Clock } from '@reqrun/contracts';
import { CONFIG } from '@reqrun/runtime';
import { AnthropicAdapter } from './anthropic.adapter.js';
import { MockAdapter } from './mock.adapter.js';
import { OpenAIAdapter } from './openai.adapter.js';
import type { ProviderAdapter } from './provider.js';

/**
 * The adapter for a configured provider. Its key is read here, from the env var the config names, and goes no
 * further than the adapter's request headers. A named env var that is not set stops the adapters at start.
 */
export function adapterFor(p: ProviderConfig, env: NodeJS.ProcessEnv = process.env, clock: Clock = systemClock): ProviderAdapter {
  switch (p.type) {
    case 'mock':
      return new MockAdapter();
    case 'openai':
      return new OpenAIAdapter(p, apiKey(p, env), clock);
    case 'anthropic':
      return new AnthropicAdapter(p, apiKey(p, env), clock);
  }
}

function apiKey(p: ProviderConfig, env: NodeJS.ProcessEnv): string | undefined {
  if (!p.api_key_env) return undefined;
  const key = env[p.api_key_env];
  if (!key) throw new Error(`provider '${p.name}': the environment variable ${p.api_key_env} (its api_key_env) is not set`);
  return key;
}

/** One adapter per configured provider, built once at start (each key read once), shared by the calls and the token counts. */
@Injectable()
export class ProviderAdapters {
  private readonly byName: ReadonlyMap<string, ProviderAdapter>;

  constructor(@Inject(CONFIG) config: Config) {
    this.byName = new Map(config.providers.map((p) => [p.name, adapterFor(p)]));
  }

  of(p: ProviderConfig): ProviderAdapter {
    return this.byName.get(p.name)!;
  }
}

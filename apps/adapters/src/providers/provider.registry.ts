import type { ProviderConfig } from '@reqrun/config';
import { MockAdapter } from './mock.adapter.js';
import type { ProviderAdapter } from './provider.js';

/** The adapter for a configured provider, or null for a type this build cannot call yet. */
export function adapterFor(p: ProviderConfig): ProviderAdapter | null {
  switch (p.type) {
    case 'mock':
      return new MockAdapter();
    default:
      return null;
  }
}

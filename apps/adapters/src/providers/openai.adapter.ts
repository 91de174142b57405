import type { ProviderConfig } from '@reqrun/config';
import type { CanonicalRequest, Clock } from '@reqrun/contracts';
import { fromApiResult, toApiRequest } from '@reqrun/translate';
import type { AdapterResult, CallOptions, ProviderAdapter } from './provider.js';
import { keyHeader, postJson, upstreamOf, type Upstream } from './upstream.js';

/**
 * `type: openai`: any OpenAI-compatible server (OpenAI, Azure deployments, vLLM, Ollama, Groq, ...). Chat Completions
 * at `<base_url>/chat/completions`; a Responses request goes to `<base_url>/responses` when the provider sets
 * `responses_api: true`, else it is translated to chat like every other API.
 */
export class OpenAIAdapter implements ProviderAdapter {
  readonly breaker = true;
  private readonly upstream: Upstream;

  constructor(private readonly p: ProviderConfig, key: string | undefined, private readonly clock: Clock) {
    this.upstream = upstreamOf(p, key, keyHeader(p.api_key_header ?? 'authorization'));
  }

  call(req: CanonicalRequest, o: CallOptions): Promise<AdapterResult> {
    const api = o.api === 'responses' && this.p.responses_api ? 'responses' : 'chat';
    const path = api === 'responses' ? '/responses' : '/chat/completions';
    return postJson(this.upstream, path, toApiRequest(api, req), o.signal, this.clock, (json) => fromApiResult(api, json));
  }
}

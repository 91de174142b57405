import type { ProviderConfig } from '@reqrun/config';
import type { CanonicalRequest, Clock } from '@reqrun/contracts';
import { chatStreamReader, fromApiResult, responsesStreamReader, thinks, toApiRequest } from '@reqrun/translate';
import { ProviderError, streams, type AdapterResult, type CallOptions, type ProviderAdapter } from './provider.js';
import { keyHeader, postJson, postStream, upstreamOf, type Upstream } from './upstream.js';

/**
 * `type: openai`: any OpenAI-compatible server (OpenAI, Azure deployments, vLLM, Ollama, Groq, ...). Chat Completions
 * at `<base_url>/chat/completions`; a Responses request goes to `<base_url>/responses` when the provider sets
 * `responses_api: true`, else it is translated to chat like every other API. Anthropic's own options (`top_k`, a tool
 * result's `is_error`, thinking blocks sent back) have no OpenAI field and are left out; thinking itself is refused.
 */
export class OpenAIAdapter implements ProviderAdapter {
  readonly breaker = true;
  private readonly upstream: Upstream;

  constructor(private readonly p: ProviderConfig, key: string | undefined, private readonly clock: Clock) {
    this.upstream = upstreamOf(p, key, keyHeader(p.api_key_header ?? 'authorization'));
  }

  call(req: CanonicalRequest, o: CallOptions): Promise<AdapterResult> {
    // The ingress refuses such a request for a model with an OpenAI-compatible target; a config changed since may route it here.
    if (thinks(req.anthropic?.thinking)) {
      return Promise.reject(new ProviderError('unsupported_by_provider', "An OpenAI-compatible provider cannot be asked for Anthropic's extended thinking.", false, 400));
    }
    if (o.api === 'responses' && this.p.responses_api) {
      const body = toApiRequest('responses', req);
      return streams(o)
        ? postStream(this.upstream, '/responses', { ...body, stream: true }, this.clock, responsesStreamReader(), o)
        : postJson(this.upstream, '/responses', body, o.signal, this.clock, (json) => fromApiResult('responses', json));
    }
    const body = this.chatBody(req);
    return streams(o)
      // include_usage: the last chunk before [DONE] carries the usage, which a stream otherwise leaves out
      ? postStream(this.upstream, '/chat/completions', { ...body, stream: true, stream_options: { include_usage: true } }, this.clock, chatStreamReader(), o)
      : postJson(this.upstream, '/chat/completions', body, o.signal, this.clock, (json) => fromApiResult('chat', json));
  }

  /**
   * The chat wire body, adjusted to what the server takes: no `metadata` (OpenAI refuses it unless `store` is on, and
   * ReqRun does not store completions upstream), and the token cap under `max_tokens` when the server wants that name.
   */
  private chatBody(req: CanonicalRequest): object {
    const { metadata: _unsent, max_completion_tokens, ...body } = toApiRequest('chat', req) as Record<string, unknown>;
    if (max_completion_tokens === undefined) return body;
    return { ...body, [this.p.max_tokens_field ?? 'max_completion_tokens']: max_completion_tokens };
  }
}

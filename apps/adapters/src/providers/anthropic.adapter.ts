import type { ProviderConfig } from '@reqrun/config';
import type { CanonicalRequest, Clock } from '@reqrun/contracts';
import { anthropicMessageToCanonical, canonicalToMessages, messagesStreamReader } from '@reqrun/translate';
import { ProviderError, streams, type AdapterResult, type CallOptions, type ProviderAdapter } from './provider.js';
import { keyHeader, postJson, postStream, upstreamOf, type Upstream } from './upstream.js';

export const defaultAnthropicVersion = '2023-06-01';

/**
 * `type: anthropic`: the Messages API at `<base_url>/v1/messages`, key in `x-api-key`, `anthropic-version` on every
 * call. Chat and Responses requests are translated (system prompt, roles, stop sequences, tools and tool calls, images,
 * usage, stop reasons). A Messages request's own options (`top_k`, `thinking`) and a tool result's `is_error` go as
 * sent; the answer's thinking blocks are kept, and an assistant turn's are sent back as they came.
 */
export class AnthropicAdapter implements ProviderAdapter {
  readonly breaker = true;
  private readonly upstream: Upstream;

  constructor(p: ProviderConfig, key: string | undefined, private readonly clock: Clock) {
    const u = upstreamOf(p, key, keyHeader(p.api_key_header ?? 'x-api-key'));
    this.upstream = { ...u, headers: { 'anthropic-version': p.anthropic_version ?? defaultAnthropicVersion, ...u.headers } };
  }

  call(req: CanonicalRequest, o: CallOptions): Promise<AdapterResult> {
    // The ingress refuses such a request for a model with an Anthropic target; a config changed since may route it here.
    if (req.format) {
      return Promise.reject(new ProviderError('unsupported_by_provider', `An Anthropic provider cannot be asked for ${req.format.type} output through ReqRun yet.`, false, 400));
    }
    const body = canonicalToMessages(req);
    return streams(o)
      ? postStream(this.upstream, '/v1/messages', { ...body, stream: true }, this.clock, messagesStreamReader(), o)
      : postJson(this.upstream, '/v1/messages', body, o.signal, this.clock, anthropicMessageToCanonical);
  }

  /**
   * Anthropic's own count (`/v1/messages/count_tokens`), which takes the prompt only (its images, tools and thinking
   * count too, sent as the call sends them): no max_tokens, sampling (top_k included) or stop sequences.
   */
  async countTokens(req: CanonicalRequest, signal: AbortSignal): Promise<number> {
    const { model, system, messages, tools, tool_choice, thinking } = canonicalToMessages(req);
    const prompt = {
      model, ...(system !== undefined ? { system } : {}), messages, ...(tools ? { tools } : {}), ...(tool_choice ? { tool_choice } : {}),
      ...(thinking ? { thinking } : {}),
    };
    const counted = await postJson(this.upstream, '/v1/messages/count_tokens', prompt, signal, this.clock, readCount);
    return counted.input_tokens;
  }
}

function readCount(json: any): { input_tokens: number } {
  if (!Number.isInteger(json?.input_tokens) || json.input_tokens < 0) throw new Error('no input_tokens in the answer');
  return { input_tokens: json.input_tokens };
}

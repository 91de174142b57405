import { Inject, Injectable } from '@nestjs/common';
import type { Config } from '@reqrun/config';
import { badRequest, ErrorCode, ReqRunError, tokenCountingTypes, tokenCountTimeoutMs, type TokenCountAsk, type TokenCountReply } from '@reqrun/contracts';
import { isNatsUnavailable, isPayloadTooLarge } from '@reqrun/messaging';
import { CONFIG, Nats } from '@reqrun/runtime';
import { messagesToCanonical } from '@reqrun/translate';
import { unavailable } from '../errors/to-reqrun-error.js';
import { checkModelAllowed, type Tenant } from '../security/api-keys.js';
import { knownModel } from '../submit/known-model.js';
import { validateBody } from '../submit/validate-body.js';
import { MessagesPromptDto } from './create-message.dto.js';

/**
 * Anthropic's `POST /v1/messages/count_tokens`: the input tokens of a prompt, counted by the provider the model's
 * first target that can count names. Asked of the adapters over NATS (request/reply) and answered at once: not
 * stored, not scheduled, no rate limit spent, as with Anthropic (counting is free).
 */
@Injectable()
export class TokenCountService {
  constructor(@Inject(CONFIG) private readonly config: Config, private readonly nats: Nats) {}

  async count(tenant: Tenant, raw: unknown): Promise<{ input_tokens: number }> {
    const body = validateBody(MessagesPromptDto, raw);
    const model = body.model as string;
    checkModelAllowed(tenant, model);
    const target = knownModel(this.config, model).targets.find((t) => this.canCount(t.provider));
    if (!target) {
      throw badRequest(`Tokens cannot be counted for the model '${model}': none of its providers can count them (OpenAI-compatible providers have no counting endpoint).`, 'model');
    }
    const ask: TokenCountAsk = { request: { ...messagesToCanonical(body), model: target.model ?? model } };
    if (!this.nats.connected) throw unavailable();
    let reply: TokenCountReply;
    try {
      const m = await this.nats.nc.request(this.nats.names.tokens(target.provider), JSON.stringify(ask), { timeout: tokenCountTimeoutMs + 5000 });
      reply = m.json<TokenCountReply>();
    } catch (e) {
      if (isPayloadTooLarge(e)) throw new ReqRunError(ErrorCode.BodyTooLarge, 'The prompt is too large to count through ReqRun: it is larger than NATS carries (max_payload).', 413);
      if (!isNatsUnavailable(e) || !this.nats.connected) throw e;
      throw new ReqRunError(ErrorCode.Unavailable, `No adapters process counted the tokens for provider '${target.provider}' in time; try again in a few seconds.`, 503, null, { cause: e });
    }
    if (!('error' in reply)) return { input_tokens: reply.input_tokens };
    const e = new ReqRunError(reply.error.code, reply.error.message, reply.error.status);
    if (reply.error.retry_after_ms) e.retryAfterS = Math.ceil(reply.error.retry_after_ms / 1000);
    throw e;
  }

  private canCount(provider: string): boolean {
    const type = this.config.providers.find((p) => p.name === provider)?.type;
    return type !== undefined && tokenCountingTypes.includes(type);
  }
}

import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Msg, Subscription } from '@nats-io/nats-core';
import type { Config, ProviderConfig } from '@reqrun/config';
import { tokenCountingTypes, tokenCountTimeoutMs, type TokenCountAsk, type TokenCountReply } from '@reqrun/contracts';
import { CONFIG, LOGGER, Nats, type Logger } from '@reqrun/runtime';
import { ProviderAdapters } from './providers/provider.registry.js';
import { ProviderError, type ProviderAdapter } from './providers/provider.js';

/**
 * Counts a request's input tokens for the ingress (`POST /v1/messages/count_tokens`): request/reply on
 * `tokens.<provider>` for every provider that can count, in one queue group over the adapters replicas. Nothing is
 * stored: a count is a free, read-only question, asked again if its answer is lost. It feeds no circuit breaker and
 * spends no rate limit (the providers limit their counting endpoints apart from their calls).
 */
@Injectable()
export class TokenCounter implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly subs: Subscription[] = [];

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly nats: Nats,
    private readonly adapters: ProviderAdapters,
  ) {}

  onApplicationBootstrap(): void {
    const n = this.nats.names;
    for (const p of this.config.providers.filter((x) => tokenCountingTypes.includes(x.type))) {
      const adapter = this.adapters.of(p);
      this.subs.push(this.nats.nc.subscribe(n.tokens(p.name), {
        queue: n.tokensQueue,
        callback: (err, msg) => {
          if (!err) void this.answer(p, adapter, msg);
        },
      }));
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.allSettled(this.subs.map((s) => s.drain()));
  }

  private async answer(p: ProviderConfig, adapter: ProviderAdapter, msg: Msg): Promise<void> {
    let reply: TokenCountReply;
    try {
      const { request } = msg.json<TokenCountAsk>();
      reply = { input_tokens: await adapter.countTokens!(request, AbortSignal.timeout(Math.min(p.timeout_ms, tokenCountTimeoutMs))) };
    } catch (e) {
      if (!(e instanceof ProviderError)) this.log.error({ err: e, provider: p.name }, 'could not count tokens');
      reply = {
        error: e instanceof ProviderError
          ? { code: e.code, message: e.message, status: e.statusCode === 429 ? 429 : e.status, retryable: e.retryable, ...(e.retryAfterMs > 0 ? { retry_after_ms: e.retryAfterMs } : {}) }
          : { code: 'internal_error', message: 'ReqRun could not count the tokens of this request.', status: 500, retryable: true },
      };
    }
    msg.respond(JSON.stringify(reply));
  }
}

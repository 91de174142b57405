import type { ReqRunError } from '@reqrun/contracts';
import type { Logger } from '@reqrun/runtime';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { anthropicEnvelope } from './anthropic-envelope.js';
import { openAIEnvelope } from './openai-envelope.js';
import { toReqRunError } from './to-reqrun-error.js';

export function sendError(e: unknown, req: FastifyRequest, reply: FastifyReply, log: Logger): void {
  const err = toReqRunError(e);
  if (err.status >= 500) log.error({ err: err.cause ?? e, url: req.url, method: req.method }, 'request failed');
  if (reply.sent) return;
  if (err.status === 503) void reply.header('retry-after', '2');
  if (err.retryAfterS !== undefined) void reply.header('retry-after', String(err.retryAfterS));
  const requestId = reply.getHeader('x-request-id');
  void reply.status(err.status).header('content-type', 'application/json').send(envelopeFor(req.url)(err, typeof requestId === 'string' ? requestId : undefined));
}

/** Each API answers errors in its own envelope: Anthropic's under /v1/messages, OpenAI's everywhere else. */
export function envelopeFor(url: string): (e: ReqRunError, requestId?: string) => object {
  return /^\/v1\/messages(?:[/?]|$)/.test(url) ? anthropicEnvelope : openAIEnvelope;
}

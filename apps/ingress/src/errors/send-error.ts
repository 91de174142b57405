import type { Logger } from '@reqrun/runtime';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { openAIEnvelope } from './openai-envelope.js';
import { toReqRunError } from './to-reqrun-error.js';

export function sendError(e: unknown, req: FastifyRequest, reply: FastifyReply, log: Logger): void {
  const err = toReqRunError(e);
  if (err.status >= 500) log.error({ err: err.cause ?? e, url: req.url, method: req.method }, 'request failed');
  if (reply.sent) return;
  if (err.status === 503) void reply.header('retry-after', '2');
  void reply.status(err.status).header('content-type', 'application/json').send(openAIEnvelope(err));
}

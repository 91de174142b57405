import type { ReqRunError } from '@reqrun/contracts';
import type { Logger } from '@reqrun/runtime';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Answer } from '../submit/answer.js';
import { anthropicEnvelope } from './anthropic-envelope.js';
import { openAIEnvelope } from './openai-envelope.js';
import { toReqRunError } from './to-reqrun-error.js';

export type Envelope = (e: ReqRunError, requestId?: string) => object;

export function sendError(e: unknown, req: FastifyRequest, reply: FastifyReply, log: Logger): void {
  const err = toReqRunError(e);
  if (err.status >= 500) log.error({ err: err.cause ?? e, url: req.url, method: req.method }, 'request failed');
  if (reply.sent) return;
  const requestId = reply.getHeader('x-request-id');
  const a = errorAnswer(err, envelopeFor(req.url, req.headers['anthropic-version'] !== undefined), typeof requestId === 'string' ? requestId : undefined);
  void reply.status(a.status).headers(a.headers).header('content-type', 'application/json').send(a.body);
}

/** An error as an answer: its status, `retry-after` when the caller should come back, the body in the given envelope. */
export function errorAnswer(err: ReqRunError, envelope: Envelope, requestId?: string): Answer {
  const headers: Record<string, string> = {};
  if (requestId) headers['x-request-id'] = requestId;
  if (err.status === 503) headers['retry-after'] = '2';
  if (err.retryAfterS !== undefined) headers['retry-after'] = String(err.retryAfterS);
  return { status: err.status, headers, body: envelope(err, requestId) };
}

/**
 * Each API answers errors in its own envelope: Anthropic's under /v1/messages, and under /v1/models for a caller that
 * speaks Anthropic's API (`anthropic-version`, which both APIs serve); OpenAI's everywhere else.
 */
export function envelopeFor(url: string, anthropicCaller = false): Envelope {
  if (/^\/v1\/messages(?:[/?]|$)/.test(url)) return anthropicEnvelope;
  return anthropicCaller && /^\/v1\/models(?:[/?]|$)/.test(url) ? anthropicEnvelope : openAIEnvelope;
}

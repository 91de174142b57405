import type { LoggerService } from '@nestjs/common';
import { logFields } from '@reqrun/messaging';
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * JSON lines on stdout; `npm start` pipes them through pino-pretty. A line logged while a request is in hand (an
 * HTTP request, a work item) carries its `request_id` and `trace_id` (see `WorkContext`): the mixin does for every
 * line what a child logger per request would, without passing one through every call.
 */
export function createLogger(app: string, level: string): Logger {
  return pino({ level, base: { app }, timestamp: pino.stdTimeFunctions.isoTime, mixin: logFields });
}

/** Lets Nest's own messages go through the same logger. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly pino: Logger) {}
  log(message: unknown, context?: string) { this.pino.debug({ context }, String(message)); }
  error(message: unknown, trace?: string, context?: string) { this.pino.error({ context, trace }, String(message)); }
  warn(message: unknown, context?: string) { this.pino.warn({ context }, String(message)); }
  debug(message: unknown, context?: string) { this.pino.debug({ context }, String(message)); }
  verbose(message: unknown, context?: string) { this.pino.trace({ context }, String(message)); }
}

/** How a work consumer's trouble is logged: a failed pull is retried (warn); a handler that threw is a bug or an outage (error). */
export function logConsumerError(log: Logger, err: unknown, where: 'pull' | 'handle', raw: string, ctx: Record<string, unknown> = {}): void {
  if (where === 'pull') log.warn({ err, ...ctx }, 'pulling work failed; retrying');
  else log.error({ err, ...ctx, item: raw.slice(0, 200) }, 'handling a work item failed; it will be redelivered');
}

import { Catch, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { LOGGER, type Logger } from '@reqrun/runtime';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './send-error.js';

/** The one place errors become responses, in the envelope of the API that was called. */
@Catch()
export class ApiErrorFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly log: Logger) {}

  catch(e: unknown, host: ArgumentsHost) {
    const http = host.switchToHttp();
    sendError(e, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>(), this.log);
  }
}

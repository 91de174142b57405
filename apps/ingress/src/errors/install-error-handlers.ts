import { badRequest, ErrorCode, ReqRunError } from '@reqrun/contracts';
import type { Booted, FastifyOptions, Logger } from '@reqrun/runtime';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isUploadRoute } from '../files/upload.route.js';
import { checkJsonDepth } from '../security/json-depth.js';
import { ApiErrorFilter } from './api-error.filter.js';
import { sendError } from './send-error.js';

/**
 * Body-parser errors (bad JSON, too large) happen in Fastify before Nest sees the request, so Fastify's error handler
 * renders them too, through the same function as Nest's filter. Bodies that are not JSON are refused up front.
 * The parser itself refuses `__proto__` keys and `constructor.prototype` (see `bootstrap`); a body nested too deep is
 * refused before anything walks it.
 */
export function installErrorHandlers({ app, config, log }: Booted): void {
  const limit = config.http.ingress.body_limit;
  app.useGlobalFilters(new ApiErrorFilter(log));
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', async (req, reply) => {
    if (isUploadRoute(req)) return; // a multipart upload: installUploads checks it instead
    // Answered before the body is read; Node then drains the body so the client can read the 413 (not a reset).
    if (Number(req.headers['content-length']) > limit) {
      sendError(new ReqRunError(ErrorCode.BodyTooLarge, `The request body is larger than this server accepts (${limit} bytes).`, 413), req, reply, log);
      return reply;
    }
    const hasBody = req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0' || req.headers['transfer-encoding'] !== undefined;
    if (hasBody && !/^application\/(.+\+)?json\b/i.test(req.headers['content-type'] ?? '')) {
      sendError(new ReqRunError(ErrorCode.UnsupportedMediaType, "Send the body as JSON with 'Content-Type: application/json'.", 415), req, reply, log);
      return reply;
    }
  });
  fastify.addHook('preValidation', async (req, reply) => {
    try {
      checkJsonDepth(req.body);
    } catch (e) {
      sendError(e, req, reply, log);
      return reply;
    }
  });
}

/**
 * Fastify's router answers a URL it cannot decode (bad percent-encoding) or a path parameter over `maxParamLength`
 * itself, before Nest's filter and the hooks: this renders them in the API's envelope too (found by
 * test/fuzz.e2e.ts). Passed to the Fastify adapter as `frameworkErrors`.
 */
export const frameworkErrors: NonNullable<FastifyOptions['frameworkErrors']> = (e, req, reply) => {
  const err = e.code === 'FST_ERR_MAX_PARAM_LENGTH'
    ? new ReqRunError(ErrorCode.NotFound, 'Unknown request URL: an id this long does not exist.', 404)
    : badRequest('The request URL is not valid (bad percent-encoding).');
  sendError(err, req as FastifyRequest, reply as FastifyReply, req.log as unknown as Logger); // a 4xx: nothing is logged
};

import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Booted } from '@reqrun/runtime';
import type { FastifyRequest } from 'fastify';
import { sendError } from '../errors/send-error.js';
import type { ApiKeys, Tenant } from './api-keys.js';

const TENANT = Symbol('reqrun.tenant');
type WithTenant = FastifyRequest & { [TENANT]?: Tenant };

/**
 * Every `/v1/…` request is authenticated before its body is read: the tenant of its key is put on the request (a
 * 401 in the API's envelope otherwise). Health, readiness and metrics stay open, for probes and scrapers. The route
 * Fastify matched decides, not the URL as sent, so no spelling of a path (`/%761/…`) gets past; and a controller
 * that finds no tenant fails closed (`CallerTenant`).
 */
export function installAuth({ app, log }: Booted, keys: ApiKeys): void {
  app.getHttpAdapter().getInstance().addHook('onRequest', async (req, reply) => {
    if (!req.routeOptions.url?.startsWith('/v1/')) return;
    try {
      (req as WithTenant)[TENANT] = keys.resolve(req.headers);
    } catch (e) {
      sendError(e, req, reply, log);
      return reply;
    }
  });
}

/** The caller's tenant, as the auth hook resolved it. */
export const CallerTenant = createParamDecorator((_data: unknown, ctx: ExecutionContext): Tenant => {
  const t = ctx.switchToHttp().getRequest<WithTenant>()[TENANT];
  if (!t) throw new Error('no tenant on the request: the auth hook did not run');
  return t;
});

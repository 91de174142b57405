import { childSpan, runInContext, TRACEPARENT, type WorkContext } from '@reqrun/messaging';
import type { Booted } from '@reqrun/runtime';
import type { FastifyRequest } from 'fastify';

const CONTEXT = Symbol('reqrun.context');
type WithContext = FastifyRequest & { [CONTEXT]?: WorkContext };

/**
 * Each HTTP request runs in its own work context: the client's `traceparent` continued (or a new trace), and the
 * request id once it is known. Entered twice, because Node resumes a request after reading its body in the
 * socket's async context, not the hook's: once on arrival, again once the body is parsed.
 */
export function installWorkContext({ app }: Booted): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (req, _reply, done) => {
    const header = req.headers[TRACEPARENT];
    const ctx: WorkContext = { traceparent: childSpan(typeof header === 'string' ? header : undefined) };
    (req as WithContext)[CONTEXT] = ctx;
    runInContext(ctx, done);
  });
  fastify.addHook('preValidation', (req, _reply, done) => {
    const ctx = (req as WithContext)[CONTEXT];
    if (ctx) runInContext(ctx, done);
    else done();
  });
}

import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import type { Config } from '@reqrun/config';
import type { FastifyReply } from 'fastify';
import { register } from 'prom-client';
import { Nats } from './nats.handles.js';
import { CONFIG } from './tokens.js';
import { appMetrics } from './workers.js';

export const DEV_MODE_WARNING = 'development mode: no tenants are configured, so API keys are not checked and every caller is the tenant "default"';

/**
 * Liveness, readiness and Prometheus metrics: the same three endpoints on every app. Ready = NATS connected and every
 * stream and bucket present; the config was checked at start (a bad one stops the app), so a running app's is valid.
 */
@Controller()
export class HealthController {
  constructor(private readonly nats: Nats, @Inject(CONFIG) private readonly config: Config) {}

  @Get('healthz')
  @HttpCode(200)
  healthz() {
    return { status: 'ok' };
  }

  @Get('readyz')
  async readyz(@Res() reply: FastifyReply) {
    const connected = this.nats.connected;
    const missing = connected ? await this.nats.missingLayout().catch(() => null) : null;
    const ready = connected && missing !== null && missing.length === 0;
    const warnings = this.config.tenants.length === 0 ? [DEV_MODE_WARNING] : [];
    void reply.status(ready ? 200 : 503).send({
      status: ready ? 'ready' : 'not_ready',
      nats: connected ? 'connected' : 'disconnected',
      layout: missing === null ? 'unknown' : missing.length === 0 ? 'present' : { missing },
      config: 'valid',
      mode: warnings.length > 0 ? 'development' : 'tenants',
      warnings,
    });
  }

  @Get('metrics')
  async metrics(@Res() reply: FastifyReply) {
    void reply.header('content-type', register.contentType).send(await appMetrics());
  }
}

import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { register } from 'prom-client';
import { Nats } from './nats.handles.js';

/** Liveness, readiness and Prometheus metrics: the same three endpoints on every app. */
@Controller()
export class HealthController {
  constructor(private readonly nats: Nats) {}

  @Get('healthz')
  @HttpCode(200)
  healthz() {
    return { status: 'ok' };
  }

  @Get('readyz')
  readyz(@Res() reply: FastifyReply) {
    const ready = this.nats.connected;
    void reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', nats: ready ? 'connected' : 'disconnected' });
  }

  @Get('metrics')
  async metrics(@Res() reply: FastifyReply) {
    void reply.header('content-type', register.contentType).send(await register.metrics());
  }
}

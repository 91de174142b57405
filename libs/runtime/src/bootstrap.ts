import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DynamicModule, Type } from '@nestjs/common';
import type { FastifyServerOptions } from 'fastify';
import { ConfigError, loadConfig, type AppName, type Config } from '@reqrun/config';
import { collectDefaultMetrics } from 'prom-client';
import { createLogger, NestPinoLogger, type Logger } from './logger.js';
import { RuntimeModule } from './runtime.module.js';

export interface Booted {
  app: NestFastifyApplication;
  config: Config;
  log: Logger;
}

/** Loads config, builds the Nest app on Fastify with the shared runtime, listens, and shuts down cleanly on SIGTERM/SIGINT. */
export type Configure = (b: Booted) => void | Promise<void>;

/** Extra Fastify options for an app (e.g. ingress renders Fastify's own URL errors through `frameworkErrors`). */
export type FastifyOptions = Pick<FastifyServerOptions, 'frameworkErrors'>;

export async function bootstrap(name: AppName, appModule: Type | DynamicModule, configure?: Configure, fastify: FastifyOptions = {}): Promise<Booted> {
  let config: Config;
  try {
    config = loadConfig({ app: name });
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`reqrun ${name}: bad configuration: ${e.message}`);
      process.exit(2);
    }
    throw e;
  }
  const log = createLogger(name, config.log.level);
  collectDefaultMetrics({ prefix: 'reqrun_process_' });
  const http = config.http[name];
  const app = await NestFactory.create<NestFastifyApplication>(
    { module: class ReqRunRoot {}, imports: [RuntimeModule.forApp(name, config, log), appModule] },
    new FastifyAdapter({ bodyLimit: http.body_limit, routerOptions: { maxParamLength: 200 }, ...fastify }),
    { logger: new NestPinoLogger(log), abortOnError: false },
  );
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await configure?.({ app, config, log });
  await app.listen(http.port, http.host);
  log.info({ port: http.port }, `${name} listening`);
  process.on('unhandledRejection', (e) => log.error({ err: e }, 'unhandled rejection'));
  return { app, config, log };
}

import 'reflect-metadata';
import cluster from 'node:cluster';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DynamicModule, Type } from '@nestjs/common';
import type { FastifyServerOptions } from 'fastify';
import { ConfigError, loadConfig, type AppName, type Config } from '@reqrun/config';
import { collectDefaultMetrics } from 'prom-client';
import { createLogger, NestPinoLogger, type Logger } from './logger.js';
import { RuntimeModule } from './runtime.module.js';
import { DEV_MODE_WARNING } from './health.controller.js';
import { joinWorkers, superviseWorkers } from './workers.js';

/** Largest request head (request line and headers) accepted. */
export const MAX_HEADER_BYTES = 16 * 1024;

export interface Booted {
  app: NestFastifyApplication;
  config: Config;
  log: Logger;
}

export type Configure = (b: Booted) => void | Promise<void>;

/** Extra Fastify options for an app (e.g. ingress renders Fastify's own URL errors through `frameworkErrors`). */
export type FastifyOptions = Pick<FastifyServerOptions, 'frameworkErrors'>;

/**
 * Loads config, builds the Nest app on Fastify with the shared runtime, listens, and shuts down cleanly on
 * SIGTERM/SIGINT. With `http.<app>.workers` > 1 this process only supervises that many workers, each of which
 * builds the app (undefined is returned here, the app in each worker).
 */
export async function bootstrap(name: AppName, appModule: Type | DynamicModule, configure?: Configure, fastify: FastifyOptions = {}): Promise<Booted | undefined> {
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
  const http = config.http[name];
  if (http.workers > 1 && cluster.isPrimary) {
    superviseWorkers(name, http.workers, log);
    return undefined;
  }
  if (cluster.isWorker) joinWorkers();
  if (config.tenants.length === 0) log.warn(`DEVELOPMENT MODE: ${DEV_MODE_WARNING}. Configure tenants[] before exposing ReqRun.`);
  collectDefaultMetrics({ prefix: 'reqrun_process_' });
  const app = await NestFactory.create<NestFastifyApplication>(
    { module: class ReqRunRoot {}, imports: [RuntimeModule.forApp(name, config, log), appModule] },
    new FastifyAdapter({
      bodyLimit: http.body_limit,
      routerOptions: { maxParamLength: 200 },
      // Stated rather than inherited: a JSON body with a `__proto__` key, or `constructor.prototype`, is a 400, so no
      // body can reach Object.prototype through a later merge or spread; headers over 16 KiB are a 431.
      onProtoPoisoning: 'error',
      onConstructorPoisoning: 'error',
      http: { maxHeaderSize: MAX_HEADER_BYTES },
      // No app uses Nest middleware: without it, @fastify/middie would only add a hook run on every request.
      skipMiddie: true,
      ...fastify,
    }),
    { logger: new NestPinoLogger(log), abortOnError: false },
  );
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  try {
    await configure?.({ app, config, log });
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    log.fatal(`bad configuration: ${e.message}`);
    process.exit(2);
  }
  await app.listen(http.port, http.host);
  log.info({ port: http.port }, `${name} listening`);
  process.on('unhandledRejection', (e) => log.error({ err: e }, 'unhandled rejection'));
  return { app, config, log };
}

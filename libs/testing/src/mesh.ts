import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppName } from '@reqrun/config';
import { stringify } from 'yaml';
import { startApp, type AppProcess } from './app-process.js';
import { startNats, type NatsServer } from './nats-server.js';

/** What the mesh needs of its NATS: where it is and how to stop it (one server or a cluster). */
export type NatsEndpoint = { readonly url: string; stop(): Promise<void> };

export interface MeshOptions<N extends NatsEndpoint = NatsServer> {
  /** Written as YAML to a temp file, passed as REQRUN_CONFIG to every app. */
  config?: Record<string, unknown>;
  /** Use this server (left running by `stop()`); else one is started and stopped with the mesh. */
  nats?: N;
  /** Replicas per app; default 1 each. */
  apps?: Partial<Record<AppName, number>>;
  /** Extra env for every app. */
  env?: Record<string, string>;
  /** Extra node flags per app (e.g. `--cpu-prof --cpu-prof-dir=…` to profile it). */
  nodeArgs?: (app: AppName) => string[];
  /** Every output line of every app, as it arrives (e.g. to scan all the logs, not only the tail `logs()` keeps). */
  onLine?: (app: AppName, line: string) => void;
}

export interface Mesh<N extends NatsEndpoint = NatsServer> extends AsyncDisposable {
  nats: N;
  configFile: string;
  /** The first ingress. */
  ingress: AppProcess;
  /** = ingress.url */
  url: string;
  /** Every app process, in start order. */
  apps: AppProcess[];
  /** Stop the apps, then nats if the mesh started it. Safe to call twice. */
  stop(): Promise<void>;
}

/** nats-server (unless given), then adapters and scheduler, then ingress; replicas start in parallel. */
export async function startMesh<N extends NatsEndpoint = NatsServer>(o: MeshOptions<N> = {}): Promise<Mesh<N>> {
  const replicas = { ingress: 1, scheduler: 1, adapters: 1, ...o.apps };
  if (!(replicas.ingress >= 1)) throw new Error('startMesh: apps.ingress must be at least 1');
  const dir = await mkdtemp(join(tmpdir(), 'reqrun-mesh-'));
  const configFile = join(dir, 'reqrun.yaml');
  const apps: AppProcess[] = [];
  let nats: N | undefined;

  const stopApps = async () => {
    await Promise.allSettled(apps.map((a) => a.stop()));
  };
  const cleanup = async () => {
    await stopApps();
    if (!o.nats) await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await writeFile(configFile, stringify(o.config ?? {}));
    nats = o.nats ?? ((await startNats()) as unknown as N);
    const natsUrl = nats.url;
    const startAll = async (names: AppName[]) => {
      const starts = names.flatMap((app) => Array.from({ length: replicas[app] }, () => startApp({ app, natsUrl, configFile, env: o.env, nodeArgs: o.nodeArgs?.(app), onLine: o.onLine && ((line) => o.onLine!(app, line)) })));
      const results = await Promise.allSettled(starts);
      for (const r of results) if (r.status === 'fulfilled') apps.push(r.value);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    };
    await startAll(['adapters', 'scheduler']);
    await startAll(['ingress']);
  } catch (e) {
    await cleanup();
    throw e;
  }

  const ingress = apps.find((a) => a.app === 'ingress')!;
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= cleanup());
  return { nats, configFile, ingress, url: ingress.url, apps, stop, [Symbol.asyncDispose]: stop };
}

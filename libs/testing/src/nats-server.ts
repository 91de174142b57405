import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort, isPortOpen } from './free-port.js';
import { LogTail } from './log-tail.js';
import { describeExit, spawnLogged, type LoggedProcess, type StdStream } from './spawn-logged.js';
import { waitUntil } from './wait-ready.js';

export interface NatsServerOptions {
  /** Largest message the server accepts, bytes (nats-server allows up to 64 MiB). */
  maxPayload: number;
  /** JetStream store; default `<temp dir>/js`. A given dir is kept by `stop()`. */
  storeDir?: string;
  /** Gets every log line of the server as it arrives. */
  onLine?: (line: string, stream: StdStream) => void;
  /** Client port; a free one when omitted. */
  port?: number;
  /** Join a cluster: this node's route port and the other nodes' route ports (all on 127.0.0.1). */
  cluster?: ClusterRoutes;
  /** Serve the HTTP monitoring endpoints (/varz, /connz, /jsz) on this 127.0.0.1 port (0 = a free one). */
  monitorPort?: number;
  /** Serve Go's /debug/pprof (CPU profile, goroutine dumps) on this 127.0.0.1 port (0 = a free one): where nats-server spends its time. */
  profPort?: number;
}

export interface ClusterRoutes {
  name: string;
  serverName: string;
  port: number;
  routes: number[];
}

export const natsDefaults: NatsServerOptions = { maxPayload: 8 * 1024 * 1024 };

export interface NatsServer extends AsyncDisposable {
  /** nats://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** http://127.0.0.1:PORT of the monitoring endpoints, when `monitorPort` was given. */
  readonly monitorUrl?: string;
  /** http://127.0.0.1:PORT/debug/pprof, when `profPort` was given. */
  readonly profUrl?: string;
  /** Pid of the current process (changes on restart). */
  readonly pid: number;
  /** SIGTERM, wait for the exit, remove the temp dir. Safe to call twice. */
  stop(): Promise<void>;
  /** Kill (SIGKILL by default) and wait for the exit; the data stays for `restart()`. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Start again on the same port and store dir (stops the running one first), wait until ready. */
  restart(): Promise<void>;
  /** The last lines the server logged, across restarts. */
  logs(): string;
}

const installHint = 'install it with `apt-get install -y nats-server` (Debian/Ubuntu) or from https://nats.io/download';

/** Path of the nats-server binary: $NATS_SERVER_BIN, then PATH, then /usr/sbin and /usr/local/bin. */
export function findNatsServer(): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/sbin', '/usr/local/sbin', '/usr/local/bin'];
  const candidates = [process.env.NATS_SERVER_BIN, ...dirs.map((d) => join(d, 'nats-server'))].filter((c): c is string => !!c);
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      /* next */
    }
  }
  throw new Error(`nats-server not found on PATH or in /usr/sbin: ${installHint}`);
}

/** A nats-server config: JetStream on, our max_payload, and the cluster routes when it is one of several nodes. */
export function natsServerConf(o: { host: string; port: number; storeDir: string; maxPayload: number; cluster?: ClusterRoutes; monitorPort?: number; profPort?: number }): string {
  const c = o.cluster;
  return [
    `listen: ${JSON.stringify(`${o.host}:${o.port}`)}`,
    ...(o.monitorPort ? [`http: ${JSON.stringify(`${o.host}:${o.monitorPort}`)}`] : []),
    ...(o.profPort ? [`prof_port: ${o.profPort}`] : []),
    `max_payload: ${o.maxPayload}`,
    ...(c ? [`server_name: ${JSON.stringify(c.serverName)}`] : []),
    `jetstream {`,
    `  store_dir: ${JSON.stringify(o.storeDir)}`,
    `}`,
    ...(c
      ? [
          `cluster {`,
          `  name: ${JSON.stringify(c.name)}`,
          `  listen: ${JSON.stringify(`${o.host}:${c.port}`)}`,
          `  routes: [${c.routes.map((r) => JSON.stringify(`nats-route://${o.host}:${r}`)).join(', ')}]`,
          `}`,
        ]
      : []),
    '',
  ].join('\n');
}

const readyTimeoutMs = 10_000;

/** Spawns a throwaway nats-server with JetStream on a free 127.0.0.1 port, config and data in a fresh temp dir. */
export async function startNats(input: Partial<NatsServerOptions> = {}): Promise<NatsServer> {
  const o = { ...natsDefaults, ...input };
  const bin = findNatsServer();
  const dir = await mkdtemp(join(tmpdir(), 'reqrun-nats-'));
  const storeDir = o.storeDir ?? join(dir, 'js');
  const confFile = join(dir, 'nats.conf');
  const tail = new LogTail();
  let port = 0;
  const monitorPort = o.monitorPort === 0 ? await freePort() : o.monitorPort;
  const profPort = o.profPort === 0 ? await freePort() : o.profPort;
  let proc: LoggedProcess | undefined;
  let stopping: Promise<void> | undefined;

  const launch = async (): Promise<void> => {
    let ready = false;
    proc = spawnLogged(bin, ['-c', confFile], {
      tail,
      onLine: (line, stream) => {
        if (line.includes('Server is ready')) ready = true;
        o.onLine?.(line, stream);
      },
    });
    const p = proc;
    try {
      // "Server is ready" comes after JetStream recovered its store; the TCP probe proves the listener.
      await waitUntil(async () => ready && (await isPortOpen('127.0.0.1', port, 250)), {
        timeoutMs: readyTimeoutMs,
        intervalMs: 25,
        what: `nats-server on port ${port}`,
        giveUp: () => (p.exited ? describeExit(p.exitInfo!) : undefined),
      });
    } catch (e) {
      await p.kill('SIGKILL');
      throw new Error(`${(e as Error).message}\n--- nats-server log ---\n${tail.text(40)}`, { cause: e });
    }
  };

  try {
    // A port from freePort() can be taken by someone else before the server binds it: try a few.
    for (let attempt = 1; ; attempt++) {
      port = o.port ?? (await freePort());
      await writeFile(confFile, natsServerConf({ host: '127.0.0.1', port, storeDir, maxPayload: o.maxPayload, cluster: o.cluster, monitorPort, profPort }));
      try {
        await launch();
        break;
      } catch (e) {
        if (attempt >= 3 || o.port !== undefined || !/address already in use/i.test(tail.text(5))) throw e;
      }
    }
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }

  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await proc?.stop(10_000);
      await rm(dir, { recursive: true, force: true });
    })());

  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    ...(monitorPort ? { monitorUrl: `http://127.0.0.1:${monitorPort}` } : {}),
    ...(profPort ? { profUrl: `http://127.0.0.1:${profPort}/debug/pprof` } : {}),
    get pid() {
      return proc?.pid ?? -1;
    },
    stop,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      await proc?.kill(signal);
    },
    async restart() {
      if (stopping) throw new Error('nats-server was stopped (its temp dir is gone); start a new one');
      await proc?.stop(10_000);
      tail.push(`--- restart on port ${port} ---`);
      await launch();
    },
    logs: () => tail.text(),
    [Symbol.asyncDispose]: stop,
  };
}

import type { AppName } from '@reqrun/config';
import { freePort } from './free-port.js';
import { LogTail } from './log-tail.js';
import { appEntry, repoRoot } from './repo-root.js';
import { describeExit, spawnLogged, type ExitInfo, type LoggedProcess, type StdStream } from './spawn-logged.js';
import { waitForHttp } from './wait-ready.js';

export interface StartAppOptions {
  app: AppName;
  natsUrl: string;
  /** REQRUN_CONFIG for the app; when omitted the app's own default applies (inherited REQRUN_CONFIG, else ./reqrun.yaml). */
  configFile?: string;
  /** Extra env, applied last. */
  env?: Record<string, string>;
  /** Extra node flags before the entry point (e.g. `--cpu-prof`, which NODE_OPTIONS does not allow). */
  nodeArgs?: string[];
  /** HTTP port (REQRUN_HTTP_PORT); a free one when omitted. */
  port?: number;
  /** How long to wait for GET /readyz = 200; default 60 s (a loaded 2-core machine restarting an app under load needed more than 20). */
  readyTimeoutMs?: number;
  /** Gets every output line as it arrives (it is kept for `logs()` either way). */
  onLine?: (line: string, stream: StdStream) => void;
  /** Called whenever the process exits; `expected` is true when kill/stop/restart asked for it. */
  onExit?: (e: ExitInfo, expected: boolean) => void;
  /** Run in its own process group (a terminal's Ctrl-C then reaches only the parent). */
  detached?: boolean;
  /** Aborting it while the app is still starting kills it and rejects. */
  signal?: AbortSignal;
}

export interface AppProcess {
  readonly app: AppName;
  readonly port: number;
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** Pid of the current process (changes on restart). */
  readonly pid: number;
  readonly exited: boolean;
  /** Kill (SIGKILL by default) and wait for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGTERM, wait up to 10 s for the exit, then SIGKILL. */
  stop(): Promise<void>;
  /** Stop if running, then start again with the same port and env, and wait until ready. */
  restart(): Promise<void>;
  /** The last ~200 lines of stdout and stderr, across restarts. */
  logs(): string;
}

const stopGraceMs = 10_000;

/** Runs `node dist/apps/<app>/src/main.js` and waits until its /readyz answers 200. */
export async function startApp(o: StartAppOptions): Promise<AppProcess> {
  const entry = appEntry(o.app);
  const port = o.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...(o.configFile !== undefined ? { REQRUN_CONFIG: o.configFile } : {}),
    NATS_URL: o.natsUrl,
    REQRUN_HTTP_PORT: String(port),
    REQRUN_LOG_LEVEL: process.env.REQRUN_LOG_LEVEL ?? 'warn',
    ...o.env,
  };
  const tail = new LogTail(200);
  let proc: LoggedProcess;
  let expected = false;

  const launch = async (): Promise<void> => {
    expected = false;
    const p = (proc = spawnLogged(process.execPath, ['--enable-source-maps', ...(o.nodeArgs ?? []), entry], {
      cwd: repoRoot(),
      env,
      tail,
      onLine: o.onLine,
      detached: o.detached ?? false,
    }));
    void p.exit.then((e) => o.onExit?.(e, expected || p !== proc));
    try {
      await waitForHttp(`${url}/readyz`, {
        timeoutMs: o.readyTimeoutMs ?? 60_000,
        intervalMs: 50,
        what: `${o.app} (pid ${p.pid}) ${url}/readyz`,
        giveUp: () => (p.exited ? describeExit(p.exitInfo!) : o.signal?.aborted ? 'start aborted' : undefined),
      });
    } catch (e) {
      expected = true;
      await p.kill('SIGKILL');
      throw new Error(`${(e as Error).message}\n--- ${o.app} log ---\n${tail.text(60)}`, { cause: e });
    }
  };

  await launch();

  return {
    app: o.app,
    port,
    url,
    get pid() {
      return proc.pid;
    },
    get exited() {
      return proc.exited;
    },
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      expected = true;
      await proc.kill(signal);
    },
    async stop() {
      expected = true;
      await proc.stop(stopGraceMs);
    },
    async restart() {
      expected = true;
      await proc.stop(stopGraceMs);
      tail.push(`--- restart ${o.app} on port ${port} ---`);
      await launch();
    },
    logs: () => tail.text(),
  };
}

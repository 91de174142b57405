import { spawn, type ChildProcess } from 'node:child_process';
import { LogTail, lineSplitter } from './log-tail.js';

export type StdStream = 'stdout' | 'stderr';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be spawned at all (e.g. ENOENT). */
  error?: Error;
}

export interface SpawnLoggedOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Where lines go; pass the same tail again to keep one log across restarts. */
  tail: LogTail;
  /** Called for every complete line, after it is kept in the tail. */
  onLine: (line: string, stream: StdStream) => void;
  /** Own process group, so a terminal's Ctrl-C reaches only the parent (which then stops children in order). */
  detached: boolean;
}

export interface LoggedProcess {
  readonly child: ChildProcess;
  /** -1 when the spawn failed. */
  readonly pid: number;
  readonly exited: boolean;
  readonly exitInfo: ExitInfo | undefined;
  /** Resolves once the process is gone and its output is read. */
  readonly exit: Promise<ExitInfo>;
  logs(lines?: number): string;
  /** Sends `signal` unless already gone, then waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<ExitInfo>;
  /** SIGTERM, wait up to `graceMs`, then SIGKILL; resolves on exit. */
  stop(graceMs?: number): Promise<ExitInfo>;
}

/** Spawns a process whose stdout and stderr are split into lines and kept in a bounded tail. */
export function spawnLogged(command: string, args: readonly string[], o: Partial<SpawnLoggedOptions> = {}): LoggedProcess {
  const tail = o.tail ?? new LogTail();
  const child = spawn(command, args, {
    cwd: o.cwd,
    env: o.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: o.detached ?? false,
  });

  for (const stream of ['stdout', 'stderr'] as const) {
    const split = lineSplitter((line) => {
      tail.push(line);
      o.onLine?.(line, stream);
    });
    child[stream]?.on('data', (c: Buffer) => split.write(c));
    child[stream]?.on('end', () => split.flush());
  }

  let exitInfo: ExitInfo | undefined;
  let seen: ExitInfo | undefined;
  const exit = new Promise<ExitInfo>((resolve) => {
    const finish = (info: ExitInfo) => {
      if (exitInfo) return;
      exitInfo = info;
      resolve(info);
    };
    child.once('error', (error) => {
      if (child.pid === undefined) {
        tail.push(`spawn ${command} failed: ${error.message}`);
        finish({ code: null, signal: null, error });
      }
    });
    child.once('exit', (code, signal) => {
      seen = { code, signal };
      // 'close' follows once stdio is drained; don't hang if a grandchild holds the pipes open.
      setTimeout(() => finish(seen!), 2000).unref();
    });
    child.once('close', (code, signal) => finish(seen ?? { code, signal }));
  });

  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<ExitInfo> => {
    if (!exitInfo && !seen) child.kill(signal);
    return exit;
  };

  const stop = async (graceMs = 10_000): Promise<ExitInfo> => {
    if (exitInfo) return exitInfo;
    if (!seen) child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (!seen) child.kill('SIGKILL');
    }, graceMs);
    try {
      return await exit;
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    child,
    get pid() {
      return child.pid ?? -1;
    },
    get exited() {
      return exitInfo !== undefined;
    },
    get exitInfo() {
      return exitInfo;
    },
    exit,
    logs: (n) => tail.text(n),
    kill,
    stop,
  };
}

/** "exited with code 1" / "killed by SIGKILL" / "could not start: …" */
export function describeExit(e: ExitInfo): string {
  if (e.error) return `could not start: ${e.error.message}`;
  return e.signal ? `killed by ${e.signal}` : `exited with code ${e.code}`;
}

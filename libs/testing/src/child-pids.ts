import { execFileSync } from 'node:child_process';

/** The processes `pid` started and that still run (an app's workers under its supervisor, say). */
export function childPids(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n').filter((l) => l.trim()).map(Number);
  } catch {
    return []; // ps exits 1 when there are none
  }
}

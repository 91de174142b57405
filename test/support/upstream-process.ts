import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface UpstreamProcess {
  /** What to put in `base_url`. */
  url: string;
  /** Every call received so far: when (epoch ms, taken in the upstream's process) and for which model. */
  calls(): Promise<{ at: number; model: string | null }[]>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** Starts `upstream-main.mjs` (needs `npm run build`: it runs the built fake upstream). */
export async function startUpstreamProcess(kind: 'openai' | 'anthropic' = 'openai'): Promise<UpstreamProcess> {
  const child: ChildProcess = spawn(process.execPath, [fileURLToPath(new URL('./upstream-main.mjs', import.meta.url)), kind], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  const { url, control } = JSON.parse(line) as { url: string; control: string };
  return {
    url,
    calls: async () => (await fetch(`${control}/calls`)).json() as Promise<{ at: number; model: string | null }[]>,
    reset: async () => void (await fetch(`${control}/reset`, { method: 'POST' })),
    close: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

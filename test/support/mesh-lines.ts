import type { AppName } from '@reqrun/config';

/** Every line a mesh's apps log (pass `onLine` to startMesh), to show a failing test what happened to a request. */
export class MeshLines {
  private readonly lines: string[] = [];
  readonly onLine = (app: AppName, line: string): void => void this.lines.push(`${app}: ${line}`);

  /** The last `max` lines that mention `text` (a request id), one per line. */
  about(text: string, max = 80): string {
    return this.lines.filter((l) => l.includes(text)).slice(-max).join('\n');
  }
}

/** `p`, or its failure with the lines logged about `id` added to the message. */
export async function explained<T>(p: Promise<T>, lines: MeshLines, id: string): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- logged about ${id} ---\n${lines.about(id) || '(nothing)'}`, { cause: e });
  }
}

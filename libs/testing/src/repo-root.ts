import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppName } from '@reqrun/config';

let root: string | undefined;

/** The repository root: the nearest folder above this file holding package.json (works from libs/ and from dist/libs/). */
export function repoRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return (root = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** dist/apps/<app>/src/main.js under the repo root; throws when it was not built. */
export function appEntry(app: AppName): string {
  const file = join(repoRoot(), 'dist', 'apps', app, 'src', 'main.js');
  if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build first`);
  return file;
}

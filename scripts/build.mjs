// Compiles apps/ and libs/ to dist/ with swc (decorator metadata for Nest DI, @reqrun/* aliases rewritten to relative paths).
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
execFileSync(process.execPath, [
  'node_modules/@swc/cli/bin/swc.js', 'apps', 'libs', '-d', 'dist', '--config-file', '.swcrc', '--quiet',
  '--ignore', '**/*.spec.ts',
], { cwd: root, stdio: 'inherit' });

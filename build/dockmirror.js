#!/usr/bin/env -S node --max-semi-space-size=1 --optimize-for-size --expose-gc
// The package's bin. It runs the compiled CLI, compiling first when the build is missing or
// older than the sources, so `npx dockmirror` works straight after `npm install`. The shebang
// carries the engine's Node flags (mirror/process-flags.ts says why); `env -S` splits them.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'main', 'cli', 'cli.js');

function newestSourceTime(dir) {
  let newest = 0;
  for (const item of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, item.name);
    if (item.isDirectory()) newest = Math.max(newest, newestSourceTime(path));
    else if (/\.(c?ts|html|css)$/.test(item.name)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function buildIsStale() {
  if (!existsSync(entry)) return true;
  const sourceDirs = ['mirror', 'main', 'renderer'].map((d) => join(root, d)).filter(existsSync);
  const newest = Math.max(...sourceDirs.map(newestSourceTime));
  return newest > statSync(entry).mtimeMs;
}

if (existsSync(join(root, 'tsconfig.json')) && buildIsStale()) {
  process.stderr.write('dockmirror: compiling the TypeScript sources first…\n');
  const built = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) {
    process.stderr.write('dockmirror: the build failed; see the compiler output above.\n');
    process.exit(1);
  }
}

const { main } = await import(entry);
process.exitCode = await main(process.argv.slice(2));

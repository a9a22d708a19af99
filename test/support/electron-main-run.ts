// Runs the compiled Electron main (electron-main-child.ts, with `electron` resolved to the
// recording stand-in) in a child process, in a fresh home whose app data folder holds a config
// that listens on loopback and points the upstream at a closed port: nothing a run does can
// reach Docker Hub. Resolves with what the stand-in recorded.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { findFreePort } from './ports.js';

const child = fileURLToPath(new URL('./electron-main-child.js', import.meta.url));

export interface ElectronMainRun {
  /** What the stand-in recorded: the child's last stdout line. */
  seen: Record<string, unknown>;
  home: string;
  /** The app's data folder (userData), where its config and logs live. */
  dataDir: string;
  /** The mirror's port in that config. */
  port: number;
}

/** `env` is added to this process's environment (STUB_END and desktop variables, for example). */
export async function runElectronMain(t: TestContext, env: NodeJS.ProcessEnv = {}): Promise<ElectronMainRun> {
  const home = await mkdtemp(join(tmpdir(), 'dm-main-'));
  t.after(() => rm(home, { recursive: true, force: true }));
  const dataDir = join(home, 'appdata', 'dockmirror');
  await mkdir(dataDir, { recursive: true });
  const port = await findFreePort();
  await writeFile(join(dataDir, 'config.json'), JSON.stringify({ listenHost: '127.0.0.1', port, upstream: 'http://127.0.0.1:1' }));
  const base = { STUB_APP_DATA: join(home, 'appdata'), HOME: home, DOCKMIRROR_DATA_DIR: '', XDG_CACHE_HOME: join(home, 'xdg-cache') };
  const proc = spawn(process.execPath, [child], { env: { ...process.env, ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (chunk: Buffer) => (out += chunk));
  proc.stderr.on('data', (chunk: Buffer) => (err += chunk));
  const [code] = (await once(proc, 'exit')) as [number | null];
  assert.equal(code, 0, `the child failed:\n${err}`);
  return { seen: JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown>, home, dataDir, port };
}

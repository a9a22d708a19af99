// Finding the Electron binary for `npm start` in a checkout, and fetching it on first start
// through Electron's own installer (node_modules/electron/install.js), which honours
// ELECTRON_MIRROR, electron_config_cache and the checksums shipped in the package. The
// package's index.js would fetch too, but synchronously and with no time limit; this bounds it.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type FetchResult =
  | { ok: true; binary: string }
  | { ok: false; reason: 'refused' | 'timed-out'; detail: string };

/**
 * The electron package folder. DOCKMIRROR_ELECTRON_PACKAGE points at another copy of it: the
 * tests use one with a stand-in binary, or none, without touching node_modules.
 */
export function electronPackageDir(appRoot: string, env: NodeJS.ProcessEnv): string | null {
  if (env['DOCKMIRROR_ELECTRON_PACKAGE']) return env['DOCKMIRROR_ELECTRON_PACKAGE'];
  try {
    return dirname(createRequire(join(appRoot, 'package.json')).resolve('electron/package.json'));
  } catch {
    return null;
  }
}

export function electronVersion(packageDir: string): string {
  return (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The installed binary, as the package's index.js finds it, or null when there is none yet. */
export function installedElectron(packageDir: string, env: NodeJS.ProcessEnv): string | null {
  const pathFile = join(packageDir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const relative = readFileSync(pathFile, 'utf8').trim();
  const binary = env['ELECTRON_OVERRIDE_DIST_PATH'] ? join(env['ELECTRON_OVERRIDE_DIST_PATH'], relative) : join(packageDir, 'dist', relative);
  return existsSync(binary) ? binary : null;
}

export interface FetchOptions {
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** A line for the person while the download runs. */
  progress(line: string): void;
  progressEveryMs?: number;
}

/** The installer prints a stack; its first line is the sentence worth passing on. */
function firstErrorLine(stderr: string): string {
  const line = stderr.split('\n').map((l) => l.trim()).find((l) => l && !l.startsWith('at ')) ?? 'the installer failed';
  return line.replace(/^(Type|Http|HTTP)?Error:\s*/, '');
}

export function fetchElectron(packageDir: string, options: FetchOptions): Promise<FetchResult> {
  const started = Date.now();
  const where = options.env['ELECTRON_MIRROR'] ? options.env['ELECTRON_MIRROR'] : "Electron's GitHub releases";
  options.progress(`Fetching Electron ${electronVersion(packageDir)} for its first start from ${where} (about 100 MB, once)…`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(packageDir, 'install.js')], { env: options.env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-8192)));
    const ticker = setInterval(() => options.progress(`…still fetching Electron (${Math.round((Date.now() - started) / 1000)} s)`), options.progressEveryMs ?? 15_000);
    let timedOut = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    const finish = (result: FetchResult) => {
      clearInterval(ticker);
      clearTimeout(deadline);
      resolve(result);
    };
    child.on('error', (error) => finish({ ok: false, reason: 'refused', detail: error.message }));
    child.on('exit', (code) => {
      if (timedOut) return finish({ ok: false, reason: 'timed-out', detail: `no answer within ${options.timeoutMs / 1000} s` });
      const binary = code === 0 ? installedElectron(packageDir, options.env) : null;
      if (binary) return finish({ ok: true, binary });
      finish({ ok: false, reason: 'refused', detail: firstErrorLine(stderr) });
    });
  });
}

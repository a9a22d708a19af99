// `dockmirror start` (npm start): the desktop app where Electron can run; elsewhere — no Electron
// binary or no display, as on a server or these build machines — it says so in one sentence and
// runs the same app core headless, with the window served on localhost.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { defaultDataDir } from './core/data-dir.js';
import { keytarKeychain } from './core/keychain.js';
import { openWithSystem } from './headless/open-with-system.js';
import { createHeadlessCore, runHeadless } from './headless/run-headless.js';
import { parseUiAddress } from './headless/ui-address.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

export function electronAvailable(env: NodeJS.ProcessEnv = process.env, platform = process.platform): boolean {
  const hasBinary = existsSync(join(root, 'node_modules', 'electron', 'path.txt'));
  const hasDisplay = platform !== 'linux' || Boolean(env['DISPLAY'] || env['WAYLAND_DISPLAY']);
  return hasBinary && hasDisplay;
}

export async function launch(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { ui: { type: 'string' }, headless: { type: 'boolean', default: false } }, strict: true });
  const ui = parseUiAddress(values.ui);
  if (!values.headless && electronAvailable()) return runElectron();
  if (!values.headless) {
    process.stderr.write('Electron cannot start here (no Electron binary or no display), so Dockmirror runs headless with its window in your browser.\n');
  }
  const dataDir = defaultDataDir();
  const core = createHeadlessCore({ dataDir, keychain: keytarKeychain(), desktop: { openPath: openWithSystem } });
  return runHeadless(core, ui);
}

async function runElectron(): Promise<number> {
  // In plain Node the electron package exports the path of its binary.
  const { default: electronBinary } = (await import('electron')) as unknown as { default: string };
  const child = spawn(electronBinary, [root], { stdio: 'inherit' });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

// `dockmirror start` (npm start): the desktop app where Electron can run. On a desktop whose
// checkout has no Electron binary yet it is fetched on this first start; without a display, when
// the fetch fails, or when Electron dies as it starts, it says which in one sentence and runs the
// same app core headless, with the window served on localhost.
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { defaultDataDir, newInstallCacheDir } from './core/data-dir.js';
import { keytarKeychain } from './core/keychain.js';
import { openWithSystem } from './headless/open-with-system.js';
import { createHeadlessCore, runHeadless } from './headless/run-headless.js';
import { parseUiAddress } from './cli/listen-address.js';
import { assertUiAddressAllowed } from './headless/ui-access.js';
import { electronPackageDir, fetchElectron, installedElectron } from './launch/electron-binary.js';
import { runElectron } from './launch/electron-process.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const headlessTail = 'so Dockmirror runs headless with its window in your browser.';

export function hasDisplay(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): boolean {
  return platform !== 'linux' || Boolean(env['DISPLAY'] || env['WAYLAND_DISPLAY']);
}

function millis(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = Number(env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

/** The Electron binary to start, or the sentence that says why there is none. */
async function electronToStart(env: NodeJS.ProcessEnv): Promise<{ binary: string } | { why: string }> {
  if (!hasDisplay(env)) return { why: `There is no display here (neither DISPLAY nor WAYLAND_DISPLAY is set), ${headlessTail}` };
  const packageDir = electronPackageDir(root, env);
  if (!packageDir) return { why: `Electron is not installed (npm ci installs it with the dev dependencies), ${headlessTail}` };
  const installed = installedElectron(packageDir, env);
  if (installed) return { binary: installed };
  const fetched = await fetchElectron(packageDir, {
    env,
    timeoutMs: millis(env, 'DOCKMIRROR_ELECTRON_FETCH_TIMEOUT_MS', 5 * 60_000),
    progress: (line) => process.stderr.write(`${line}\n`),
  });
  if (fetched.ok) return { binary: fetched.binary };
  if (fetched.reason === 'timed-out') return { why: `Fetching Electron timed out (${fetched.detail}; ELECTRON_MIRROR can point at a nearer copy), ${headlessTail}` };
  return { why: `Electron could not be fetched (${fetched.detail}; ELECTRON_MIRROR can point at a copy you can reach), ${headlessTail}` };
}

export async function launch(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { ui: { type: 'string' }, 'ui-allow-lan': { type: 'boolean', default: false }, headless: { type: 'boolean', default: false } }, strict: true });
  const ui = { ...parseUiAddress(values.ui), allowLan: values['ui-allow-lan']! };
  assertUiAddressAllowed(ui, ui.allowLan);
  if (!values.headless) {
    const env = process.env;
    const electron = await electronToStart(env);
    let why: string;
    if ('binary' in electron) {
      const earlyExitMs = millis(env, 'DOCKMIRROR_ELECTRON_EARLY_EXIT_MS', 5_000);
      const run = await runElectron(electron.binary, root, [], { earlyExitMs, env, stderr: process.stderr });
      if (run.kind === 'ran') return run.code;
      why = `Electron exited as it started (${run.detail}), ${headlessTail}`;
    } else {
      why = electron.why;
    }
    process.stderr.write(`${why}\n`);
  }
  const dataDir = defaultDataDir();
  const core = createHeadlessCore({ dataDir, keychain: keytarKeychain(), desktop: { openPath: openWithSystem }, firstRun: { cacheDir: newInstallCacheDir(), reservedPorts: [ui.port] } });
  return runHeadless(core, ui);
}

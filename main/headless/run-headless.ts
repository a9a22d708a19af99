// Runs an app core with its window served over HTTP until SIGINT/SIGTERM: the headless mode of
// `npm start` and `dockmirror serve --ui`. Prints the window's address (with its token) and
// what LAN hosts need, then quits as the desktop app's Quit does.
import { createAppCore, type CoreTestHooks } from '../core/app-core.js';
import type { AppCore, AppCoreOptions } from '../core/app-host.js';
import type { AppState } from '../shared/contract.js';
import { EngineProcess } from '../engine-process/engine-process.js';
import { servingBanner } from '../cli/serving-banner.js';
import { untilStopSignal } from '../cli/stop-signal.js';
import { startHeadless } from './server.js';
import { assertUiAddressAllowed, isLoopbackAddress, lanWindowWarning } from './ui-access.js';

/** The app core as the headless hosts run it: the engine in its own process, with its flags. */
export function createHeadlessCore(options: AppCoreOptions & CoreTestHooks): AppCore {
  return createAppCore({ engines: new EngineProcess(), ...options });
}

export function describeState(state: AppState): string[] {
  const lines: string[] = [];
  const { mirror } = state;
  if (mirror.serving && mirror.listen) {
    lines.push(...servingBanner({ upstream: mirror.upstream, listen: mirror.listen, cachePath: mirror.cache.path, addresses: state.addresses }));
  } else {
    lines.push('The mirror is stopped; start it from the window.');
  }
  for (const notice of state.notices ?? []) lines.push(`Note: ${notice.message}`);
  for (const problem of state.problems) lines.push(`Problem: ${problem.message}`);
  return lines;
}

/**
 * `ui.allowLan`: the user asked for a window beyond loopback; it is refused otherwise, and when
 * given the window's clients must be on the mirror's allowlist, and a warning says so.
 */
export async function runHeadless(core: AppCore, ui: { host: string; port: number; allowLan?: boolean }, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  assertUiAddressAllowed(ui, ui.allowLan ?? false);
  const lan = !isLoopbackAddress(ui.host);
  let server;
  try {
    await core.open();
    const state = await core.ready();
    server = await startHeadless(core, { host: ui.host, port: ui.port, ...(lan ? { allowlist: () => core.currentState().settings.allowlist } : {}) });
    const warning = lan ? [lanWindowWarning(ui)] : [];
    out.write([...warning, `Dockmirror's window: open ${server.url}`, ...describeState(state), ''].join('\n'));
  } catch (error) {
    await core.shutdown();
    throw error;
  }
  await untilStopSignal(out);
  await server.close();
  await core.shutdown();
  return 0;
}

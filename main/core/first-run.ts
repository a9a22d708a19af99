// The defaults that depend on the machine, settled on the first start and then kept in the
// settings so they never move under the Docker hosts that use them: the cache folder (the OS's
// cache location for a new install, the old `<data>/cache` for an install that has one) and the
// port (the next free one when the default is taken, as port 5000 is by AirPlay on every recent
// Mac). The window and the log say what was chosen; nothing the user set is touched.
import { join } from 'node:path';
import type { Logger } from 'pino';
import { inspectCacheFolder, type CacheFolderState } from '../../mirror/index.js';
import { holdsCache } from './cache-folder.js';
import type { AppNotice, AppSettings } from '../shared/contract.js';
import { isPortFree, nextFreePort } from './free-port.js';
import { defaultSettings, readSettings, type SettingsStore } from './settings.js';

export interface FirstRunDefaults {
  /** Where a new install caches (data-dir.ts's newInstallCacheDir). */
  cacheDir: string;
  /** The port to try first; the settings' default when absent (tests pass a port they occupy). */
  port?: number;
  /**
   * Ports the host takes after the core has started, which the mirror must leave alone: the
   * headless window listens on 5001, the very port a taken 5000 would otherwise move the mirror to.
   */
  reservedPorts?: number[];
}

export interface DesktopDefaultsOptions {
  dataDir: string;
  /** Absent for the CLI and most tests: the cache stays in `<data>/cache` and the port is not probed. */
  firstRun?: FirstRunDefaults;
  /** What the host itself has to say (a desktop without a tray). */
  notices?: AppNotice[];
}

/** Versions before 0.2 kept the default cache inside the data folder. */
export function legacyCacheDir(dataDir: string): string {
  return join(dataDir, 'cache');
}

/** By the engine's own rules: a marked cache, or an older one holding only Dockmirror's files. */
async function holdsDockmirrorCache(dir: string): Promise<boolean> {
  return holdsCache(await inspectCacheFolder(dir).catch((): CacheFolderState => ({ kind: 'refused', message: '' })));
}

/** An existing install whose cache was the old default keeps it; anyone else gets the OS's. */
export async function firstRunCacheDir(dataDir: string, newInstallDir: string): Promise<string> {
  const legacy = legacyCacheDir(dataDir);
  return (await holdsDockmirrorCache(legacy)) ? legacy : newInstallDir;
}

/**
 * The port for settings that name none: the default when it is free, else the next free one.
 * Undefined when nothing nearby is free; the start then reports the taken port as usual.
 */
export async function firstRunPort(host: string, wanted: number, reserved: readonly number[] = []): Promise<number | undefined> {
  return !reserved.includes(wanted) && (await isPortFree(host, wanted)) ? wanted : nextFreePort(host, wanted, 50, reserved);
}

function portChosen(wanted: number, chosen: number): AppNotice {
  return {
    code: 'port-chosen',
    message: `Port ${wanted} was taken by another program (on a Mac, AirPlay Receiver), so Dockmirror chose port ${chosen} and keeps it; Docker hosts use :${chosen}, and Settings can change it.`,
  };
}

/**
 * Settles what the stored settings leave open and reads the result. A key the file already has
 * is the user's (or an earlier run's) choice and stays as it is. The port moves only on a first
 * run: an install that cached before has Docker hosts set up for its port, and a taken port is
 * then a problem to show (with the free one to switch to), not a choice to make behind its back.
 */
export async function applyDesktopDefaults(store: SettingsStore, options: DesktopDefaultsOptions, logger: Logger): Promise<{ settings: AppSettings; notices: AppNotice[] }> {
  const notices: AppNotice[] = [];
  const { firstRun, dataDir } = options;
  if (firstRun) {
    const stored = store.store;
    const patch: Partial<AppSettings> = {};
    if (typeof stored['cachePath'] !== 'string') patch.cachePath = await firstRunCacheDir(dataDir, firstRun.cacheDir);
    const isFirstRun = patch.cachePath !== undefined && patch.cachePath !== legacyCacheDir(dataDir) && stored['port'] === undefined;
    if (isFirstRun) {
      const host = typeof stored['listenHost'] === 'string' ? stored['listenHost'] : defaultSettings(dataDir).listenHost;
      const wanted = firstRun.port ?? defaultSettings(dataDir).port;
      const chosen = await firstRunPort(host, wanted, firstRun.reservedPorts);
      if (chosen !== undefined) patch.port = chosen;
      if (chosen !== undefined && chosen !== wanted) notices.push(portChosen(wanted, chosen));
    }
    if (Object.keys(patch).length > 0) {
      store.set(patch);
      logger.info(patch, 'first run: settings chosen for this machine');
    }
  }
  for (const notice of notices) logger.warn(notice.message);
  return { settings: readSettings(store, dataDir), notices: [...notices, ...(options.notices ?? [])] };
}

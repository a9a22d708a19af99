// Where the desktop app finds its own files, in a checkout and in an installed package, and
// where it keeps its data.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { appFolderName } from '../core/data-dir.js';

export interface AppPaths {
  preload: string;
  rendererIndex: string;
  /** file:// URL of the renderer, the only page allowed to call into the core. */
  rendererUrl: string;
  trayIconsDir: string;
}

/**
 * `mainDir` is dist/main (inside app.asar once packaged). The tray icons are not in the asar:
 * electron-builder leaves build/ (its resources folder) out of the app, so the config ships
 * them as extraResources next to it.
 */
export function appPaths(mainDir: string, host: { isPackaged: boolean; resourcesPath: string }): AppPaths {
  const rendererIndex = join(mainDir, '..', 'renderer', 'index.html');
  return {
    preload: join(mainDir, 'preload.cjs'),
    rendererIndex,
    rendererUrl: pathToFileURL(rendererIndex).href,
    trayIconsDir: host.isPackaged ? join(host.resourcesPath, 'tray') : join(mainDir, '..', '..', 'build', 'icons', 'tray'),
  };
}

/**
 * Electron names userData after productName ("Dockmirror") once packaged but after the package
 * name in a checkout; pinning it keeps one folder, shared with the headless fallback, either way.
 */
export function desktopDataDir(env: NodeJS.ProcessEnv, appDataPath: string): string {
  return env['DOCKMIRROR_DATA_DIR'] || join(appDataPath, appFolderName);
}

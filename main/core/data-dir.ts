// Where the app keeps settings and logs: the folder Electron calls `userData` for an app named
// "dockmirror", so the desktop app and its headless fallback share one settings file.
// DOCKMIRROR_DATA_DIR overrides it (tests, portable installs). The cache does not live there by
// default: userData roams and is backed up on Windows and macOS, and a cache is neither.
import { homedir } from 'node:os';
import { isAbsolute, join, posix, win32 } from 'node:path';

export const appFolderName = 'dockmirror';

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = homedir()): string {
  if (env['DOCKMIRROR_DATA_DIR']) return env['DOCKMIRROR_DATA_DIR'];
  if (platform === 'win32') return join(env['APPDATA'] ?? join(home, 'AppData', 'Roaming'), appFolderName);
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', appFolderName);
  return join(env['XDG_CONFIG_HOME'] || join(home, '.config'), appFolderName);
}

/**
 * The OS's own place for caches: what the system may clear and backups skip. Each platform's
 * path rules apply whatever machine computes it, so the answer for Windows is a Windows path.
 */
export function osCacheDir(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, home: string): string {
  if (platform === 'win32') {
    const local = env['LOCALAPPDATA'];
    return win32.join(local && win32.isAbsolute(local) ? local : win32.join(home, 'AppData', 'Local'), 'Dockmirror', 'Cache');
  }
  if (platform === 'darwin') return posix.join(home, 'Library', 'Caches', 'Dockmirror');
  // The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
  const xdg = env['XDG_CACHE_HOME'];
  return posix.join(xdg && posix.isAbsolute(xdg) ? xdg : posix.join(home, '.cache'), appFolderName);
}

/**
 * The cache folder a new install gets: the OS cache location, except for a portable install
 * (DOCKMIRROR_DATA_DIR), which keeps everything in its one folder.
 */
export function newInstallCacheDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = homedir()): string {
  const portable = env['DOCKMIRROR_DATA_DIR'];
  if (portable && isAbsolute(portable)) return join(portable, 'cache');
  return osCacheDir(platform, env, home);
}

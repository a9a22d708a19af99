// Where the app keeps settings, logs and (by default) its cache: the folder Electron calls
// `userData` for an app named "dockmirror", so the desktop app and its headless fallback share
// one settings file. DOCKMIRROR_DATA_DIR overrides it (tests, portable installs).
import { homedir } from 'node:os';
import { join } from 'node:path';

export const appFolderName = 'dockmirror';

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = homedir()): string {
  if (env['DOCKMIRROR_DATA_DIR']) return env['DOCKMIRROR_DATA_DIR'];
  if (platform === 'win32') return join(env['APPDATA'] ?? join(home, 'AppData', 'Roaming'), appFolderName);
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', appFolderName);
  return join(env['XDG_CONFIG_HOME'] || join(home, '.config'), appFolderName);
}

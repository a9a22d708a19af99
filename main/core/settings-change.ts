// What a settings change from the window must pass beyond the values' own rules (settings.ts):
// the cache folder changes only through a move, sign-in needs a saved password, and launch at
// login needs a desktop that can register it.
import type { AppSettings } from '../shared/contract.js';
import { CoreError } from './core-error.js';
import { validateSettings } from './settings.js';

export interface SettingsChangeHost {
  clientPassword(): Promise<string | null>;
  setLaunchAtLogin?: (enabled: boolean) => void;
}

/** The settings after `patch`, or a CoreError with the sentence saying what to do instead. */
export async function checkedSettingsChange(patch: Partial<AppSettings>, previous: AppSettings, host: SettingsChangeHost): Promise<AppSettings> {
  const next = validateSettings(patch, previous);
  if (next.cachePath !== previous.cachePath) {
    throw new CoreError('invalid-setting', 'Change the cache folder with "Change folder", which can move the cache there.');
  }
  if (next.clientAuth.enabled && !previous.clientAuth.enabled && !(await host.clientPassword())) {
    throw new CoreError('client-password-missing', 'Save a client password first, then turn client sign-in on.');
  }
  if (next.launchAtLogin !== previous.launchAtLogin) {
    if (!host.setLaunchAtLogin) throw new CoreError('unsupported', 'Launch at login needs the desktop app; in headless mode start Dockmirror from your own startup script.');
    host.setLaunchAtLogin(next.launchAtLogin);
  }
  return next;
}

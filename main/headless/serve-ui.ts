// `dockmirror serve … --ui HOST:PORT`: the command line's mirror, plus the window over HTTP. The
// settings come from the flags and live in memory (the command line stays the truth); Docker Hub
// credentials from the environment stay in memory too, never written anywhere.
import type { Logger } from 'pino';
import type { UpstreamCredentials } from '../../mirror/public-types.js';
import type { AppSettings } from '../shared/contract.js';
import { hubAccount } from '../core/credentials.js';
import { keytarKeychain } from '../core/keychain.js';
import { memorySettingsStore, sessionKeychain } from '../core/memory-stores.js';
import { openWithSystem } from './open-with-system.js';
import { createHeadlessCore, runHeadless } from './run-headless.js';
import { parseUiAddress } from '../cli/listen-address.js';
import { assertUiAddressAllowed } from './ui-access.js';

export interface ServeUiOptions {
  ui: string;
  /** --ui-allow-lan: the user asked for a window other machines can reach. */
  allowLan: boolean;
  settings: Partial<AppSettings> & { cachePath: string };
  credentials: UpstreamCredentials | null;
  logger: Logger;
}

export async function serveWithUi(options: ServeUiOptions): Promise<number> {
  const ui = { ...parseUiAddress(options.ui), allowLan: options.allowLan };
  // Refused before the core starts anything, so a refused window leaves no mirror running.
  assertUiAddressAllowed(ui, options.allowLan);
  const keychain = options.credentials
    ? sessionKeychain({ [hubAccount(options.credentials.username)]: options.credentials.secret })
    : keytarKeychain();
  const core = createHeadlessCore({
    dataDir: options.settings.cachePath,
    settingsStore: memorySettingsStore({ ...options.settings, startMirrorOnLaunch: true }),
    keychain,
    desktop: { openPath: openWithSystem },
    logger: options.logger,
  });
  return runHeadless(core, ui);
}

// What each tray menu entry does, over injected capabilities so it runs in plain Node. A failed
// action never throws into Electron's menu callback: the person gets the core's sentence instead.
import type { AppCore } from '../core/app-host.js';
import { toCoreError } from '../core/core-error.js';
import { primaryAddress, trayDaemonJson, type TrayAction } from './tray-menu.js';

export interface TrayActionDeps {
  core: Pick<AppCore, 'startMirror' | 'stopMirror' | 'openCacheFolder' | 'updateSettings' | 'currentState' | 'refreshKeptImages'>;
  writeClipboard(text: string): void;
  showWindow(): void;
  quit(): void;
  /** Tells the person what went wrong, in the core's words. */
  report(message: string): void;
}

export async function runTrayAction(action: TrayAction, deps: TrayActionDeps): Promise<void> {
  const state = deps.core.currentState();
  try {
    switch (action) {
      case 'start-mirror':
        await deps.core.startMirror();
        return;
      case 'stop-mirror':
        await deps.core.stopMirror();
        return;
      case 'open-window':
        deps.showWindow();
        return;
      case 'copy-daemon-json': {
        const snippet = trayDaemonJson(state);
        if (snippet) deps.writeClipboard(snippet);
        return;
      }
      case 'copy-mirror-address': {
        const address = primaryAddress(state);
        if (address) deps.writeClipboard(address.mirrorUrl);
        return;
      }
      case 'open-cache-folder':
        await deps.core.openCacheFolder();
        return;
      case 'refresh-kept-images': {
        // The results show in the window; from the tray only a failure needs a word.
        const failed = (await deps.core.refreshKeptImages()).filter((kept) => kept.result === 'failed' || kept.result === 'paused');
        if (failed.length > 0) deps.report(`${failed.length} kept image(s) did not refresh: ${failed[0]!.image}: ${failed[0]!.detail ?? failed[0]!.result}`);
        return;
      }
      case 'toggle-launch-at-login':
        await deps.core.updateSettings({ launchAtLogin: !state.settings.launchAtLogin });
        return;
      case 'quit':
        deps.quit();
        return;
    }
  } catch (error) {
    deps.report(toCoreError(error).message);
  }
}

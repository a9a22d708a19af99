// The desktop capabilities the core asks for, over Electron's dialog and shell, injected so the
// tests can check what a cancelled picker or a failed open turns into.
import type { BaseWindow, Dialog, OpenDialogOptions, Shell } from 'electron';
import type { DesktopCapabilities } from '../core/app-host.js';
import { CoreError } from '../core/core-error.js';

export interface DesktopHost {
  dialog: Pick<Dialog, 'showOpenDialog'>;
  shell: Pick<Shell, 'openPath'>;
  /** The window the picker belongs to, when it is open. */
  parentWindow: () => BaseWindow | null;
  setLaunchAtLogin: (enabled: boolean) => void;
}

const pickerOptions: OpenDialogOptions = {
  title: 'Choose the cache folder',
  buttonLabel: 'Use this folder',
  properties: ['openDirectory', 'createDirectory'],
};

export function desktopCapabilities(host: DesktopHost): DesktopCapabilities {
  return {
    async pickFolder() {
      const parent = host.parentWindow();
      const result = parent ? await host.dialog.showOpenDialog(parent, pickerOptions) : await host.dialog.showOpenDialog(pickerOptions);
      return result.canceled ? null : (result.filePaths[0] ?? null);
    },
    async openPath(path) {
      // shell.openPath resolves with an error text instead of rejecting.
      const error = await host.shell.openPath(path);
      if (error) throw new CoreError('open-failed', `${path} could not be opened in the file manager (${error}).`);
    },
    setLaunchAtLogin: host.setLaunchAtLogin,
  };
}

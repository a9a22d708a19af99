// The Electron main process: builds the desktop app from Electron's modules and starts it. Every
// decision lives in main/electron/ (desktop-app.ts owns the app's lifetime); this file only
// connects. It runs under Electron only (npm start, or the packaged app).
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, clipboard, dialog, ipcMain, Menu, nativeImage, Notification, powerMonitor, session, shell, Tray, utilityProcess } from 'electron';
import Store from 'electron-store';
import type { SettingsStore } from './core/settings.js';
import { appPaths, desktopDataDir } from './electron/app-paths.js';
import { DesktopApp } from './electron/desktop-app.js';
import { electronStoreOptions } from './electron/store-options.js';

function openSettingsStore(dataDir: string): SettingsStore {
  // electron-store's types leave out projectVersion, but it passes it on to conf (see store-options.ts).
  const options = electronStoreOptions(dataDir) as ConstructorParameters<typeof Store<Record<string, unknown>>>[0];
  return new Store<Record<string, unknown>>(options);
}

// Before the single-instance lock, which lives in userData.
app.setPath('userData', desktopDataDir(process.env, app.getPath('appData')));
app.setAppUserModelId('io.dockmirror.app');

if (app.requestSingleInstanceLock()) {
  const desktopApp = new DesktopApp({
    electron: { app, BrowserWindow, clipboard, dialog, ipcMain, Menu, nativeImage, Notification, powerMonitor, session, shell, Tray, utilityProcess },
    paths: appPaths(fileURLToPath(new URL('.', import.meta.url)), { isPackaged: app.isPackaged, resourcesPath: process.resourcesPath }),
    openSettingsStore,
  });
  desktopApp.start().catch((error: unknown) => {
    dialog.showErrorBox('Dockmirror cannot start', error instanceof Error ? error.message : String(error));
    app.exit(1);
  });
} else {
  // The first instance got 'second-instance' and shows its window; this one has nothing to do.
  app.quit();
}

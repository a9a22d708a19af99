// The Electron main process: wires Electron's objects to the app core and to the small tested
// modules in main/electron/. Everything with a decision in it lives there; this file only
// connects. It runs under Electron only (npm start, or the packaged app).
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, clipboard, dialog, ipcMain, Menu, nativeImage, Notification, powerMonitor, session, shell, Tray, utilityProcess } from 'electron';
import Store from 'electron-store';
import { createAppCore } from './core/app-core.js';
import type { AppCore } from './core/app-host.js';
import { newInstallCacheDir } from './core/data-dir.js';
import { keytarKeychain } from './core/keychain.js';
import type { SettingsStore } from './core/settings.js';
import { appPaths, desktopDataDir } from './electron/app-paths.js';
import { desktopCapabilities } from './electron/desktop.js';
import { createSenderCheck, forwardToWindow, registerIpcHandlers } from './electron/ipc.js';
import { installGracefulQuit, keepInTrayOnClose, quitWhenOsEnds, revealWindow } from './electron/lifecycle.js';
import { hiddenFlag, launchAtLoginSetter } from './electron/login-item.js';
import { giveWindowTheQuit, noTrayNotice } from './electron/no-tray.js';
import { createTray, type TrayHandle } from './electron/tray.js';
import { utilityProcessOpener } from './engine-process/electron-channel.js';
import { EngineProcess } from './engine-process/engine-process.js';
import { electronStoreOptions } from './electron/store-options.js';
import { runTrayAction } from './electron/tray-actions.js';
import { createSecureWindow, hardenSession, hardenWebContents } from './electron/window.js';

const paths = appPaths(fileURLToPath(new URL('.', import.meta.url)), { isPackaged: app.isPackaged, resourcesPath: process.resourcesPath });
// Before the single-instance lock, which lives in userData.
app.setPath('userData', desktopDataDir(process.env, app.getPath('appData')));
app.setAppUserModelId('io.dockmirror.app');

let core: AppCore | null = null;
let window: BrowserWindow | null = null;
let tray: TrayHandle | null = null;

function liveWindow(): BrowserWindow | null {
  return window && !window.isDestroyed() ? window : null;
}

/** Said by the core's state, which carries the notice to the window as well. */
function trayIsMissing(): boolean {
  return core?.currentState().notices?.some((notice) => notice.code === 'no-tray') ?? false;
}

function report(message: string): void {
  if (Notification.isSupported()) new Notification({ title: 'Dockmirror', body: message }).show();
  else console.error(`Dockmirror: ${message}`);
}

const quit = installGracefulQuit(app, async () => {
  tray?.destroy();
  await core?.shutdown();
}, { onError: (error) => console.error('Dockmirror did not stop cleanly:', error) });

// A second launch or a dock click can arrive while the core is still opening; the window then
// opens once the handlers it calls exist.
let started = false;
let showWhenStarted = false;

function showWindow(): void {
  if (!started) {
    showWhenStarted = true;
    return;
  }
  const existing = liveWindow();
  if (existing) return revealWindow(existing);
  const created = createSecureWindow(BrowserWindow, paths.preload);
  window = created;
  const trayless = trayIsMissing();
  keepInTrayOnClose(created, quit.isQuitting, trayless ? 'minimize' : 'hide');
  if (trayless) giveWindowTheQuit(created, Menu, () => app.quit());
  // Windows has no powerMonitor 'shutdown'; its windows hear the session end instead.
  created.on('session-end', () => quit.sessionEnding());
  created.once('ready-to-show', () => created.show());
  created.on('closed', () => {
    if (window === created) window = null;
  });
  void created.loadFile(paths.rendererIndex);
}

function openSettingsStore(dataDir: string): SettingsStore {
  // electron-store's types leave out projectVersion, but it passes it on to conf (see store-options.ts).
  const options = electronStoreOptions(dataDir) as ConstructorParameters<typeof Store<Record<string, unknown>>>[0];
  return new Store<Record<string, unknown>>(options);
}

async function start(): Promise<void> {
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));
  // Keeps the app in the tray when its window goes away.
  app.on('window-all-closed', () => undefined);
  app.on('second-instance', () => showWindow());
  app.on('activate', () => showWindow());
  await app.whenReady();
  quitWhenOsEnds(powerMonitor, quit);
  hardenSession(session.defaultSession, paths.rendererUrl);

  const dataDir = app.getPath('userData');
  const startHidden = process.argv.includes(hiddenFlag) || app.getLoginItemSettings().wasOpenedAtLogin;
  const launchCommand = app.isPackaged ? [process.env['APPIMAGE'] || process.execPath] : [process.execPath, app.getAppPath()];
  const desktop = desktopCapabilities({
    dialog,
    shell,
    parentWindow: liveWindow,
    setLaunchAtLogin: launchAtLoginSetter({ platform: process.platform, app, command: launchCommand, env: process.env, home: homedir() }),
  });
  let settingsStore: SettingsStore;
  try {
    settingsStore = openSettingsStore(dataDir);
  } catch (error) {
    dialog.showErrorBox('Dockmirror cannot start', `The settings file in ${dataDir} cannot be read (${(error as Error).message}); fix or remove it.`);
    return app.exit(1);
  }
  // The engine runs in a utility process, with the V8 flags Electron's main process cannot have.
  const engines = new EngineProcess({ open: utilityProcessOpener((...args) => utilityProcess.fork(...args)) });
  const firstRun = { cacheDir: newInstallCacheDir(process.env, process.platform, homedir()) };
  const trayNotice = await noTrayNotice(process.platform, process.env);
  const appCore = createAppCore({ dataDir, settingsStore, keychain: keytarKeychain(), desktop, engines, firstRun, notices: trayNotice ? [trayNotice] : [] });
  core = appCore;

  const windowContents = () => liveWindow()?.webContents ?? null;
  registerIpcHandlers(ipcMain, appCore, createSenderCheck({ windowContents, rendererUrl: paths.rendererUrl }));
  forwardToWindow(appCore, windowContents);

  const state = await appCore.ready();
  const trayHandle = createTray({ Tray, Menu, nativeImage }, state, {
    iconsDir: paths.trayIconsDir,
    platform: process.platform,
    onAction: (action) => void runTrayAction(action, { core: appCore, writeClipboard: (text) => clipboard.writeText(text), showWindow, quit: () => app.quit(), report }),
  });
  tray = trayHandle;
  appCore.onState((next) => trayHandle.update(next));
  started = true;
  // Started hidden with no tray to open it from, the app would be nowhere to be seen.
  if (!startHidden || showWhenStarted || trayNotice) showWindow();
}

if (app.requestSingleInstanceLock()) {
  start().catch((error: unknown) => {
    dialog.showErrorBox('Dockmirror cannot start', error instanceof Error ? error.message : String(error));
    app.exit(1);
  });
} else {
  // The first instance got 'second-instance' and shows its window; this one has nothing to do.
  app.quit();
}

// The desktop app's lifetime as one object: the core, the window, the tray, and whether the
// core has opened far enough for a window to be shown. electron-main.ts builds it from Electron's
// modules and starts it; nothing about the running app lives at module level, so each piece of
// state has one owner and a second instance of this class would share none of it.
import { homedir } from 'node:os';
import type * as Electron from 'electron';
import { createAppCore } from '../core/app-core.js';
import type { AppCore } from '../core/app-host.js';
import { newInstallCacheDir } from '../core/data-dir.js';
import { keytarKeychain } from '../core/keychain.js';
import type { SettingsStore } from '../core/settings.js';
import { utilityProcessOpener } from '../engine-process/electron-channel.js';
import { EngineProcess } from '../engine-process/engine-process.js';
import type { AppPaths } from './app-paths.js';
import { desktopCapabilities } from './desktop.js';
import { createSenderCheck, forwardToWindow, registerIpcHandlers } from './ipc.js';
import { installGracefulQuit, keepInTrayOnClose, quitWhenOsEnds, revealWindow, type GracefulQuit } from './lifecycle.js';
import { hiddenFlag, launchAtLoginSetter } from './login-item.js';
import { giveWindowTheQuit, noTrayNotice } from './no-tray.js';
import { createTray, type TrayHandle } from './tray.js';
import { runTrayAction } from './tray-actions.js';
import { createSecureWindow, hardenSession, hardenWebContents } from './window.js';

/** The parts of Electron the app drives, handed in so this file never imports Electron itself. */
export type DesktopElectron = Pick<
  typeof Electron,
  'app' | 'BrowserWindow' | 'clipboard' | 'dialog' | 'ipcMain' | 'Menu' | 'nativeImage' | 'Notification' | 'powerMonitor' | 'session' | 'shell' | 'Tray' | 'utilityProcess'
>;

export interface DesktopAppDeps {
  electron: DesktopElectron;
  paths: AppPaths;
  /** electron-store over the data folder; throws when the settings file cannot be read. */
  openSettingsStore(dataDir: string): SettingsStore;
}

export class DesktopApp {
  private core: AppCore | null = null;
  private window: Electron.BrowserWindow | null = null;
  private tray: TrayHandle | null = null;
  private quit: GracefulQuit | null = null;
  // A second launch or a dock click can arrive while the core is still opening; the window then
  // opens once the handlers it calls exist.
  private started = false;
  private showWhenStarted = false;

  constructor(private readonly deps: DesktopAppDeps) {}

  /** Registers the app's quit, window and instance handlers, opens the core, builds the tray. */
  async start(): Promise<void> {
    const { app, dialog, powerMonitor, session } = this.deps.electron;
    this.quit = installGracefulQuit(app, () => this.shutdown(), { onError: (error) => console.error('Dockmirror did not stop cleanly:', error) });
    app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));
    // Keeps the app in the tray when its window goes away.
    app.on('window-all-closed', () => undefined);
    app.on('second-instance', () => this.showWindow());
    app.on('activate', () => this.showWindow());
    await app.whenReady();
    quitWhenOsEnds(powerMonitor, this.quit);
    hardenSession(session.defaultSession, this.deps.paths.rendererUrl);

    const dataDir = app.getPath('userData');
    let settingsStore: SettingsStore;
    try {
      settingsStore = this.deps.openSettingsStore(dataDir);
    } catch (error) {
      dialog.showErrorBox('Dockmirror cannot start', `The settings file in ${dataDir} cannot be read (${(error as Error).message}); fix or remove it.`);
      return app.exit(1);
    }
    const trayNotice = await noTrayNotice(process.platform, process.env);
    const core = await this.openCore(dataDir, settingsStore, trayNotice ? [trayNotice] : []);
    this.registerWindowHandlers(core);
    const state = await core.ready();
    this.registerTray(core, state);
    this.started = true;
    const startHidden = process.argv.includes(hiddenFlag) || app.getLoginItemSettings().wasOpenedAtLogin;
    // Started hidden with no tray to open it from, the app would be nowhere to be seen.
    if (!startHidden || this.showWhenStarted || trayNotice) this.showWindow();
  }

  private async openCore(dataDir: string, settingsStore: SettingsStore, notices: NonNullable<Parameters<typeof createAppCore>[0]['notices']>): Promise<AppCore> {
    const { app, dialog, shell, utilityProcess } = this.deps.electron;
    const launchCommand = app.isPackaged ? [process.env['APPIMAGE'] || process.execPath] : [process.execPath, app.getAppPath()];
    const desktop = desktopCapabilities({
      dialog,
      shell,
      parentWindow: () => this.liveWindow(),
      setLaunchAtLogin: launchAtLoginSetter({ platform: process.platform, app, command: launchCommand, env: process.env, home: homedir() }),
    });
    // The engine runs in a utility process, with the V8 flags Electron's main process cannot have.
    const engines = new EngineProcess({ open: utilityProcessOpener((...args) => utilityProcess.fork(...args)) });
    const firstRun = { cacheDir: newInstallCacheDir(process.env, process.platform, homedir()) };
    const core = createAppCore({ dataDir, settingsStore, keychain: keytarKeychain(), desktop, engines, firstRun, notices });
    this.core = core;
    await core.open();
    return core;
  }

  private registerWindowHandlers(core: AppCore): void {
    const windowContents = () => this.liveWindow()?.webContents ?? null;
    registerIpcHandlers(this.deps.electron.ipcMain, core, createSenderCheck({ windowContents, rendererUrl: this.deps.paths.rendererUrl }));
    forwardToWindow(core, windowContents);
  }

  private registerTray(core: AppCore, state: Awaited<ReturnType<AppCore['ready']>>): void {
    const { app, clipboard, Menu, nativeImage, Tray } = this.deps.electron;
    const tray = createTray({ Tray, Menu, nativeImage }, state, {
      iconsDir: this.deps.paths.trayIconsDir,
      platform: process.platform,
      onAction: (action) =>
        void runTrayAction(action, { core, writeClipboard: (text) => clipboard.writeText(text), showWindow: () => this.showWindow(), quit: () => app.quit(), report: (message) => this.report(message) }),
    });
    this.tray = tray;
    core.onState((next) => tray.update(next));
  }

  private async shutdown(): Promise<void> {
    this.tray?.destroy();
    await this.core?.shutdown();
  }

  private liveWindow(): Electron.BrowserWindow | null {
    return this.window && !this.window.isDestroyed() ? this.window : null;
  }

  /** Said by the core's state, which carries the notice to the window as well. */
  private trayIsMissing(): boolean {
    return this.core?.currentState().notices?.some((notice) => notice.code === 'no-tray') ?? false;
  }

  private report(message: string): void {
    const { Notification } = this.deps.electron;
    if (Notification.isSupported()) new Notification({ title: 'Dockmirror', body: message }).show();
    else console.error(`Dockmirror: ${message}`);
  }

  showWindow(): void {
    if (!this.started || !this.quit) {
      this.showWhenStarted = true;
      return;
    }
    const existing = this.liveWindow();
    if (existing) return revealWindow(existing);
    const { app, BrowserWindow, Menu } = this.deps.electron;
    const quit = this.quit;
    const created = createSecureWindow(BrowserWindow, this.deps.paths.preload);
    this.window = created;
    const trayless = this.trayIsMissing();
    keepInTrayOnClose(created, quit.isQuitting, trayless ? 'minimize' : 'hide');
    if (trayless) giveWindowTheQuit(created, Menu, () => app.quit());
    // Windows has no powerMonitor 'shutdown'; its windows hear the session end instead.
    created.on('session-end', () => quit.sessionEnding());
    created.once('ready-to-show', () => created.show());
    created.on('closed', () => {
      if (this.window === created) this.window = null;
    });
    void created.loadFile(this.deps.paths.rendererIndex);
  }
}

// A stand-in for the parts of Electron that main/electron-main.ts touches, recording what the
// app does with them. Electron itself cannot run here (no binary, no display); this lets the
// wiring — ESM loading, electron-store, the core, IPC, tray, window, quit — run in plain Node.
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';

export const record = {
  paths: new Map<string, string>(),
  handlers: new Map<string, (event: unknown, ...args: unknown[]) => Promise<unknown>>(),
  windows: [] as FakeBrowserWindow[],
  trays: [] as FakeTray[],
  session: new Map<string, unknown>(),
  hardened: 0,
  clipboard: [] as string[],
  errors: [] as string[],
  quitCompleted: false,
  /** Quits a before-quit listener cancelled. */
  preventedQuits: 0,
  exitCode: undefined as number | undefined,
  utilityForks: [] as { modulePath: string; execArgv: string[] }[],
};

class FakeApp extends EventEmitter {
  isPackaged = false;
  getPath(name: string): string {
    const path = record.paths.get(name);
    if (!path) throw new Error(`no path ${name} in the stub`);
    return path;
  }
  setPath(name: string, path: string): void {
    record.paths.set(name, path);
  }
  setAppUserModelId(): void {}
  requestSingleInstanceLock(): boolean {
    return true;
  }
  whenReady(): Promise<void> {
    return Promise.resolve();
  }
  getLoginItemSettings() {
    return { wasOpenedAtLogin: false };
  }
  setLoginItemSettings(): void {}
  getAppPath(): string {
    return '/app';
  }
  getVersion(): string {
    return '0.1.0';
  }
  quit(): void {
    const event = { prevented: false, preventDefault: () => void (event.prevented = true) };
    this.emit('before-quit', event);
    if (event.prevented) return void record.preventedQuits++;
    for (const window of record.windows) window.close();
    record.quitCompleted = true;
  }
  exit(code = 0): void {
    record.exitCode = code;
  }
}

export const app = new FakeApp();

let nextId = 1;

class FakeWebContents extends EventEmitter {
  readonly id = nextId++;
  readonly sent: string[] = [];
  openHandler: ((details: { url: string }) => unknown) | undefined;
  send(channel: string): void {
    this.sent.push(channel);
  }
  isDestroyed(): boolean {
    return false;
  }
  setWindowOpenHandler(handler: (details: { url: string }) => unknown): void {
    this.openHandler = handler;
  }
}

export class FakeBrowserWindow extends EventEmitter {
  readonly webContents = new FakeWebContents();
  readonly calls: string[] = [];
  loaded: string | undefined;
  constructor(readonly options: Record<string, unknown>) {
    super();
    record.windows.push(this);
    app.emit('web-contents-created', {}, this.webContents);
  }
  async loadFile(path: string): Promise<void> {
    this.loaded = path;
    setImmediate(() => this.emit('ready-to-show'));
  }
  close(): void {
    const event = { prevented: false, preventDefault: () => void (event.prevented = true) };
    this.emit('close', event);
    this.calls.push(event.prevented ? 'close refused' : 'closed');
  }
  isDestroyed(): boolean {
    return false;
  }
  isMinimized(): boolean {
    return false;
  }
  restore(): void {}
  minimize(): void {
    this.calls.push('minimize');
  }
  /** The window's own menu bar: set only where there is no tray. */
  menu: { items: Array<{ label: string; submenu?: Array<{ label: string; click?: () => void }> }> } | null = null;
  menuBarVisible = false;
  setMenu(menu: FakeBrowserWindow['menu']): void {
    this.menu = menu;
  }
  setAutoHideMenuBar(hide: boolean): void {
    if (hide) this.menuBarVisible = false;
  }
  setMenuBarVisibility(visible: boolean): void {
    this.menuBarVisible = visible;
  }
  show(): void {
    this.calls.push('show');
  }
  hide(): void {
    this.calls.push('hide');
  }
  focus(): void {
    this.calls.push('focus');
  }
}

export class FakeTray extends EventEmitter {
  image: unknown;
  tooltip = '';
  menu: Array<{ label: string; click?: () => void }> = [];
  destroyed = false;
  constructor(image: unknown) {
    super();
    this.image = image;
    record.trays.push(this);
  }
  setImage(image: unknown): void {
    this.image = image;
  }
  setToolTip(text: string): void {
    this.tooltip = text;
  }
  setContextMenu(menu: { items: FakeTray['menu'] }): void {
    this.menu = menu.items;
  }
  destroy(): void {
    this.destroyed = true;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
}

export const BrowserWindow = FakeBrowserWindow;
export const Tray = FakeTray;
export const Menu = { buildFromTemplate: (items: unknown[]) => ({ items }) };
export const nativeImage = { createFromPath: (path: string) => ({ path }) };
export const ipcMain = {
  handle: (channel: string, handler: (event: unknown, ...args: unknown[]) => Promise<unknown>) => void record.handlers.set(channel, handler),
  removeHandler: (channel: string) => void record.handlers.delete(channel),
  on: () => undefined,
};
export const session = {
  defaultSession: {
    setPermissionRequestHandler: (handler: unknown) => void record.session.set('request', handler),
    setPermissionCheckHandler: (handler: unknown) => void record.session.set('check', handler),
    setDevicePermissionHandler: (handler: unknown) => void record.session.set('device', handler),
    webRequest: { onBeforeRequest: (filter: unknown) => void record.session.set('network', filter) },
  },
};
export const dialog = {
  showOpenDialog: async () => ({ canceled: true, filePaths: [] }),
  showErrorBox: (title: string, content: string) => void record.errors.push(`${title}: ${content}`),
};
export const shell = { openPath: async () => '' };
export const clipboard = { writeText: (text: string) => void record.clipboard.push(text) };
/** Emits 'shutdown' with the event Electron passes (its .d.ts leaves the argument out). */
export const powerMonitor = new EventEmitter();
export class Notification {
  static isSupported(): boolean {
    return false;
  }
  show(): void {}
}

/** utilityProcess as child_process.fork: the engine's entry file speaks to either parent. */
class FakeUtilityProcess extends EventEmitter {
  private readonly child: ChildProcess;
  constructor(modulePath: string, execArgv: string[]) {
    super();
    this.child = fork(modulePath, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (message) => this.emit('message', message));
    this.child.once('exit', (code, signal) => this.emit('exit', code ?? (signal ? 1 : 0)));
  }
  get pid(): number | undefined {
    return this.child.pid;
  }
  postMessage(message: unknown): void {
    if (this.child.connected) this.child.send(message as object);
  }
  kill(): boolean {
    return this.child.kill();
  }
}
export const utilityProcess = {
  fork(modulePath: string, _args: string[] = [], options: { execArgv?: string[] } = {}) {
    record.utilityForks.push({ modulePath, execArgv: options.execArgv ?? [] });
    return new FakeUtilityProcess(modulePath, options.execArgv ?? []);
  },
};

export default { app, BrowserWindow, Tray, Menu, nativeImage, ipcMain, session, dialog, shell, clipboard, Notification, utilityProcess, powerMonitor };

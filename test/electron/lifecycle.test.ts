// The tray app's life in plain Node: Quit waits once for the core to stop, closing the window
// keeps the app in the tray, a second launch brings the window back; and the desktop
// capabilities the core gets (folder picker, open folder, launch at login, data folder).
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Conf from 'conf';
import type { BaseWindow, BrowserWindow, Dialog, Shell } from 'electron';
import { readSettings } from '../../main/core/settings.js';
import { appPaths, desktopDataDir } from '../../main/electron/app-paths.js';
import { desktopCapabilities } from '../../main/electron/desktop.js';
import { installGracefulQuit, keepInTrayOnClose, revealWindow } from '../../main/electron/lifecycle.js';
import { autostartEntry, launchAtLoginSetter } from '../../main/electron/login-item.js';
import { electronStoreOptions } from '../../main/electron/store-options.js';

/** Electron's app as far as quitting goes: quit() emits before-quit, and quits unless prevented. */
class FakeApp extends EventEmitter {
  quits = 0;
  exitCode: number | undefined;

  quit(): void {
    const event = { prevented: false, preventDefault: () => void (event.prevented = true) };
    this.emit('before-quit', event);
    if (!event.prevented) this.quits++;
  }

  exit(code = 0): void {
    this.exitCode = code;
  }
}

function deferred() {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test('Quit waits for the core to stop, once, then quits for real', async () => {
  const app = new FakeApp();
  const stopping = deferred();
  let shutdowns = 0;
  const quit = installGracefulQuit(app, () => (shutdowns++, stopping.promise));
  assert.equal(quit.isQuitting(), false);
  app.quit();
  app.quit(); // a second Quit while pulls finish
  assert.equal(app.quits, 0);
  assert.equal(shutdowns, 1);
  assert.equal(quit.isQuitting(), true);
  stopping.resolve();
  await settle();
  assert.equal(app.quits, 1);
  assert.equal(shutdowns, 1);
  assert.equal(app.exitCode, undefined);
});

test('a failed shutdown is reported and the app still quits; a hung one is cut after the grace time', async () => {
  const app = new FakeApp();
  const errors: unknown[] = [];
  installGracefulQuit(app, async () => Promise.reject(new Error('log flush failed')), { onError: (error) => errors.push(error) });
  app.quit();
  await settle();
  assert.equal(app.quits, 1);
  assert.match(String(errors[0]), /log flush failed/);

  const stuck = new FakeApp();
  installGracefulQuit(stuck, () => new Promise(() => {}), { graceMs: 20 });
  stuck.quit();
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(stuck.exitCode, 1);
  assert.equal(stuck.quits, 0);
});

function fakeWindow() {
  const window = Object.assign(new EventEmitter(), { calls: [] as string[], minimized: true });
  Object.assign(window, {
    hide: () => window.calls.push('hide'),
    isMinimized: () => window.minimized,
    restore: () => window.calls.push('restore'),
    show: () => window.calls.push('show'),
    focus: () => window.calls.push('focus'),
  });
  return window;
}

test('closing the window hides it to the tray, unless the app is quitting', () => {
  let quitting = false;
  const window = fakeWindow();
  keepInTrayOnClose(window as unknown as BrowserWindow, () => quitting);
  const close = () => {
    const event = { prevented: false, preventDefault: () => void (event.prevented = true) };
    window.emit('close', event);
    return event.prevented;
  };
  assert.equal(close(), true);
  assert.deepEqual(window.calls, ['hide']);
  quitting = true;
  assert.equal(close(), false);
  assert.deepEqual(window.calls, ['hide']);
});

test('a second launch brings the first window back, restored and focused', () => {
  const window = fakeWindow();
  revealWindow(window as unknown as BrowserWindow);
  window.minimized = false;
  revealWindow(window as unknown as BrowserWindow);
  assert.deepEqual(window.calls, ['restore', 'show', 'focus', 'show', 'focus']);
});

test('the folder picker answers null when cancelled, the folder when chosen, beside the open window', async () => {
  const asked: unknown[][] = [];
  let answer = { canceled: true, filePaths: [] as string[] };
  let parent: BaseWindow | null = null;
  const desktop = desktopCapabilities({
    dialog: { showOpenDialog: async (...args: unknown[]) => (asked.push(args), answer) } as unknown as Pick<Dialog, 'showOpenDialog'>,
    shell: { openPath: async (path: string) => (path === '/srv/cache' ? '' : 'No application knows how to open it') } as Pick<Shell, 'openPath'>,
    parentWindow: () => parent,
    setLaunchAtLogin: () => undefined,
  });
  assert.equal(await desktop.pickFolder?.(), null);
  answer = { canceled: false, filePaths: ['/srv/cache'] };
  parent = { id: 1 } as unknown as BaseWindow;
  assert.equal(await desktop.pickFolder?.(), '/srv/cache');
  assert.equal(asked[0]!.length, 1);
  assert.equal(asked[1]![0], parent);
  assert.deepEqual((asked[1]![1] as { properties: string[] }).properties, ['openDirectory', 'createDirectory']);
  await desktop.openPath?.('/srv/cache');
  await assert.rejects(desktop.openPath!('/nowhere'), { code: 'open-failed', message: '/nowhere could not be opened in the file manager (No application knows how to open it).' });
});

test('launch at login: an XDG autostart entry on Linux, a login item elsewhere, both starting hidden', async (t) => {
  const home = await mkdtemp(join(tmpdir(), 'dm-login-'));
  t.after(() => rm(home, { recursive: true, force: true }));
  const registered: unknown[] = [];
  const app = { setLoginItemSettings: (settings: unknown) => void registered.push(settings) };
  const linux = launchAtLoginSetter({ platform: 'linux', app, command: ['/home/a b/Dockmirror.AppImage'], env: { XDG_CONFIG_HOME: join(home, 'cfg') }, home });
  const file = join(home, 'cfg', 'autostart', 'dockmirror.desktop');
  linux(true);
  const entry = await readFile(file, 'utf8');
  assert.match(entry, /^\[Desktop Entry\]\nType=Application\nName=Dockmirror\n/);
  assert.match(entry, /\nExec="\/home\/a b\/Dockmirror\.AppImage" --hidden\n/);
  linux(false);
  assert.equal(existsSync(file), false);
  linux(false); // already off: nothing to remove, no error
  assert.deepEqual(registered, []);
  launchAtLoginSetter({ platform: 'darwin', app, command: [], env: {}, home })(true);
  launchAtLoginSetter({ platform: 'win32', app, command: [], env: {}, home })(false);
  assert.deepEqual(registered, [
    { openAtLogin: true, args: ['--hidden'] },
    { openAtLogin: false, args: ['--hidden'] },
  ]);
  assert.match(autostartEntry(['/usr/bin/electron', '/src/$HOME"x']), /Exec=\/usr\/bin\/electron "\/src\/\\\$HOME\\"x" --hidden/);
});

test('app files and the data folder, in a checkout and packaged', () => {
  const dev = appPaths('/src/dockmirror/dist/main', { isPackaged: false, resourcesPath: '/ignored' });
  assert.deepEqual(dev, {
    preload: '/src/dockmirror/dist/main/preload.cjs',
    rendererIndex: '/src/dockmirror/dist/renderer/index.html',
    rendererUrl: 'file:///src/dockmirror/dist/renderer/index.html',
    trayIconsDir: '/src/dockmirror/build/icons/tray',
  });
  const packaged = appPaths('/opt/Dockmirror/resources/app.asar/dist/main', { isPackaged: true, resourcesPath: '/opt/Dockmirror/resources' });
  assert.equal(packaged.trayIconsDir, '/opt/Dockmirror/resources/tray');
  assert.equal(packaged.rendererUrl, 'file:///opt/Dockmirror/resources/app.asar/dist/renderer/index.html');
  assert.equal(desktopDataDir({}, '/home/a/.config'), '/home/a/.config/dockmirror');
  assert.equal(desktopDataDir({ DOCKMIRROR_DATA_DIR: '/data/dm' }, '/home/a/.config'), '/data/dm');
});

test('electron-store gets the settings layout version, so an 0.1 file is migrated', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dm-store-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'config.json'), JSON.stringify({ __internal__: { migrations: { version: '0.1.0' } }, listen: '0.0.0.0:5055', tagTtlMs: 30000 }));
  const { name, ...options } = electronStoreOptions(dir);
  // electron-store hands these to conf unchanged, renaming `name` to `configName`.
  const store = new Conf<Record<string, unknown>>({ ...options, configName: name, schema: options.schema as never });
  const settings = readSettings(store, dir);
  assert.equal(settings.port, 5055);
  assert.equal(settings.tagTtlSeconds, 30);
  assert.throws(() => store.set({ port: 0 }));
});

// Child process of test/electron/main-wiring.test.ts: loads the real dist/main/electron-main.js with
// `electron` swapped for the stand-in, drives it like a person would (window, IPC call, close
// to tray, second launch, tray Quit) and prints what happened as one JSON line.
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';

register('./electron-loader.js', import.meta.url);
const { app, powerMonitor, record } = await import('./electron-stub.js');
record.paths.set('appData', process.env['STUB_APP_DATA']!);

async function until<T>(what: string, find: () => T | undefined): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (record.errors.length > 0) throw new Error(record.errors.join('; '));
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

await import('../../main/electron-main.js');
const tray = await until('the tray', () => record.trays[0]);
const window = await until('the window', () => record.windows[0]);
await until('the window shown', () => (window.calls.includes('show') ? true : undefined));

const rendererUrl = pathToFileURL(window.loaded!).href;
const ownCall = (channel: string, ...args: unknown[]) =>
  record.handlers.get(channel)!({ sender: { id: window.webContents.id }, senderFrame: { url: rendererUrl, parent: null } }, ...args);
const state = (await ownCall('dockmirror:getState')) as { ok: boolean; result: { settings: { port: number } } };
const stranger = await record.handlers.get('dockmirror:getState')!({ sender: { id: 999 }, senderFrame: { url: rendererUrl, parent: null } });

await ownCall('dockmirror:updateSettings', { tagTtlSeconds: 90 });
const port = state.result.settings.port;
const servedBeforeQuit = await fetch(`http://127.0.0.1:${port}/v2/`).then((response) => response.status, (error: Error) => error.message);

const initialMenu = tray.menu.map((item) => item.label);
const initialTooltip = tray.tooltip;
tray.menu.find((item) => item.label === 'Copy mirror address')!.click!();
window.close();
app.emit('second-instance');
const windowCalls = [...window.calls];

// STUB_END=os-shutdown ends the session the way the OS does instead of the tray's Quit.
const osShutdown = { prevented: false, preventDefault: () => void (osShutdown.prevented = true) };
// STUB_END=window-quit quits from the window's own menu, as on a desktop without a tray.
const windowMenu = window.menu?.items.map((item) => ({ label: item.label, submenu: item.submenu?.map((entry) => entry.label) })) ?? null;
if (process.env['STUB_END'] === 'os-shutdown') powerMonitor.emit('shutdown', osShutdown);
else if (process.env['STUB_END'] === 'window-quit') window.menu!.items[0]!.submenu!.find((item) => item.label === 'Quit Dockmirror')!.click!();
else tray.menu.find((item) => item.label === 'Quit')!.click!();
await until('the quit', () => (record.quitCompleted ? true : undefined));
// Quit waited for the core: the listener is closed before the app is gone.
const servedAfterQuit = await fetch(`http://127.0.0.1:${port}/v2/`).then((response) => response.status, () => 'refused');

process.stdout.write(
  `${JSON.stringify({
    userData: record.paths.get('userData'),
    windowCount: record.windows.length,
    webPreferences: window.options['webPreferences'],
    preloadExists: existsSync(String((window.options['webPreferences'] as { preload: string }).preload)),
    loaded: window.loaded,
    loadedExists: existsSync(window.loaded!),
    navigationGuarded: window.webContents.listenerCount('will-navigate') > 0,
    openHandler: window.webContents.openHandler?.({ url: 'https://example.com/' }),
    sessionHardened: [...record.session.keys()].sort(),
    channels: [...record.handlers.keys()].sort(),
    state: { ok: state.ok, port: state.result.settings.port },
    stranger,
    initialMenu,
    initialTooltip,
    trayImage: tray.image,
    clipboard: record.clipboard,
    windowCalls,
    closedAtQuit: window.calls.at(-1),
    trayDestroyed: tray.destroyed,
    pushedToWindow: [...new Set(window.webContents.sent)],
    servedBeforeQuit,
    servedAfterQuit,
    errors: record.errors,
    exitCode: record.exitCode ?? null,
    utilityForks: record.utilityForks,
    osShutdownDelayed: osShutdown.prevented,
    windowMenu,
    menuBarVisible: window.menuBarVisible,
    notices: (state.result as { notices?: unknown }).notices,
    preventedQuits: record.preventedQuits,
  })}\n`,
);

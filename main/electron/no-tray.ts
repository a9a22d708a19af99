// A Linux desktop without a tray: GNOME draws tray icons only with the AppIndicator extension,
// which hosts the StatusNotifier watcher every tray icon registers with. Without it Electron's
// Tray is created and never seen, so the app must say where its tray went and keep Quit
// reachable from the window. Asked of the session bus with glib's or dbus's own client.
import { execFile } from 'node:child_process';
import type { BrowserWindow, Menu } from 'electron';
import type { AppNotice } from '../shared/contract.js';

export const statusNotifierWatcher = 'org.kde.StatusNotifierWatcher';

function run(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(command, args, { env, timeout: timeoutMs }, (error, stdout) => resolve(error ? null : stdout));
  });
}

/** Whether `name` has an owner on the session bus; undefined when there is no bus or no client to ask. */
export async function sessionBusHasOwner(name: string, env: NodeJS.ProcessEnv = process.env, timeoutMs = 2_000): Promise<boolean | undefined> {
  const gdbus = await run('gdbus', ['call', '--session', '--dest', 'org.freedesktop.DBus', '--object-path', '/org/freedesktop/DBus', '--method', 'org.freedesktop.DBus.NameHasOwner', name], env, timeoutMs);
  if (gdbus !== null) return /\(true,\)/.test(gdbus) ? true : /\(false,\)/.test(gdbus) ? false : undefined;
  const send = await run('dbus-send', ['--session', '--print-reply=literal', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner', `string:${name}`], env, timeoutMs);
  if (send === null) return undefined;
  return /boolean true/.test(send) ? true : /boolean false/.test(send) ? false : undefined;
}

export const noTrayMessage =
  "This desktop shows no tray icons (GNOME without the AppIndicator extension), so Dockmirror's tray menu is not on the top bar. " +
  'Until the extension is on (package gnome-shell-extension-appindicator, then log in again), this window stands in for it: ' +
  'Quit is in its Dockmirror menu (Ctrl+Q), and closing it minimizes it while the mirror keeps serving.';

/**
 * The notice for a desktop whose tray cannot show, or null. Only GNOME is judged: other Linux
 * desktops either host the watcher or draw the older XEmbed icons Electron falls back to, and an
 * unanswerable bus is no proof of anything.
 */
export async function noTrayNotice(
  platform: NodeJS.Platform,
  env: NodeJS.ProcessEnv,
  hasOwner: (name: string) => Promise<boolean | undefined> = (name) => sessionBusHasOwner(name, env),
): Promise<AppNotice | null> {
  if (platform !== 'linux') return null;
  const desktops = (env['XDG_CURRENT_DESKTOP'] ?? '').split(':').map((name) => name.trim().toUpperCase());
  if (!desktops.includes('GNOME')) return null;
  return (await hasOwner(statusNotifierWatcher)) === false ? { code: 'no-tray', message: noTrayMessage } : null;
}

type MenuWindow = Pick<BrowserWindow, 'setMenu' | 'setAutoHideMenuBar' | 'setMenuBarVisibility'>;

/** The window's own menu bar, shown, with the Quit the tray would have had. */
export function giveWindowTheQuit(window: MenuWindow, menu: Pick<typeof Menu, 'buildFromTemplate'>, quit: () => void): void {
  window.setMenu(menu.buildFromTemplate([{ label: 'Dockmirror', submenu: [{ label: 'Quit Dockmirror', accelerator: 'CmdOrCtrl+Q', click: () => quit() }] }]));
  window.setAutoHideMenuBar(false);
  window.setMenuBarVisibility(true);
}

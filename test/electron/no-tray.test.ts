// A Linux desktop without a tray (GNOME without the AppIndicator extension): nothing owns the
// StatusNotifier watcher on the session bus. Asked of a real dbus-daemon: the window then says
// where the tray went, keeps a Quit in its own menu bar, and minimizes instead of hiding.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { constants } from 'node:fs';
import { access, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { noTrayMessage, noTrayNotice, sessionBusHasOwner, statusNotifierWatcher } from '../../main/electron/no-tray.js';
import { runElectronMain } from '../support/electron-main-run.js';

/** A session bus of the test's own that activates nothing, so nothing can own the watcher. */
async function startBus(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dm-bus-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const config = join(dir, 'session.conf');
  await writeFile(
    config,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=${dir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default"><allow send_destination="*"/><allow receive_sender="*"/><allow own="*"/></policy>
</busconfig>
`,
  );
  const daemon: ChildProcess = spawn('dbus-daemon', [`--config-file=${config}`, '--nofork', '--print-address=1'], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.after(() => void daemon.kill());
  let printed = '';
  daemon.stdout!.on('data', (chunk: Buffer) => (printed += chunk));
  const [error] = await Promise.race([once(daemon, 'error'), (async () => {
    while (!printed.includes('\n')) await new Promise((resolve) => setTimeout(resolve, 10));
    return [undefined];
  })()]);
  if (error) throw error;
  return printed.trim();
}

test('the session bus is asked for real: no watcher on a bare bus, the bus itself owned, no bus no answer', async (t) => {
  const address = await startBus(t);
  const env = { PATH: process.env['PATH'], DBUS_SESSION_BUS_ADDRESS: address };
  assert.equal(await sessionBusHasOwner(statusNotifierWatcher, env), false);
  assert.equal(await sessionBusHasOwner('org.freedesktop.DBus', env), true);
  assert.equal(await sessionBusHasOwner(statusNotifierWatcher, { PATH: process.env['PATH'], DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' }), undefined);
  assert.deepEqual(await noTrayNotice('linux', { ...env, XDG_CURRENT_DESKTOP: 'GNOME' }), { code: 'no-tray', message: noTrayMessage });
  // Without glib's gdbus, dbus's own dbus-send answers the same.
  const onlyDbusSend = await mkdtemp(join(tmpdir(), 'dm-path-'));
  t.after(() => rm(onlyDbusSend, { recursive: true, force: true }));
  await symlink(await which('dbus-send'), join(onlyDbusSend, 'dbus-send'));
  const sendEnv = { PATH: onlyDbusSend, DBUS_SESSION_BUS_ADDRESS: address };
  assert.equal(await sessionBusHasOwner(statusNotifierWatcher, sendEnv), false);
  assert.equal(await sessionBusHasOwner('org.freedesktop.DBus', sendEnv), true);
  assert.equal(await sessionBusHasOwner('org.freedesktop.DBus', { PATH: join(onlyDbusSend, 'none'), DBUS_SESSION_BUS_ADDRESS: address }), undefined);
});

async function which(command: string): Promise<string> {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    const path = join(dir, command);
    if (await access(path, constants.X_OK).then(() => true, () => false)) return path;
  }
  throw new Error(`${command} is not installed (Debian package dbus)`);
}

test('only GNOME without a watcher is judged trayless', async () => {
  const answer = (owned: boolean | undefined) => async () => owned;
  assert.equal((await noTrayNotice('linux', { XDG_CURRENT_DESKTOP: 'GNOME' }, answer(false)))?.code, 'no-tray');
  assert.equal((await noTrayNotice('linux', { XDG_CURRENT_DESKTOP: 'ubuntu:GNOME' }, answer(false)))?.code, 'no-tray');
  // Ubuntu's GNOME ships the extension on: the watcher is there.
  assert.equal(await noTrayNotice('linux', { XDG_CURRENT_DESKTOP: 'ubuntu:GNOME' }, answer(true)), null);
  // Other desktops host the watcher or draw XEmbed icons; an unanswered bus proves nothing.
  assert.equal(await noTrayNotice('linux', { XDG_CURRENT_DESKTOP: 'XFCE' }, answer(false)), null);
  assert.equal(await noTrayNotice('linux', { XDG_CURRENT_DESKTOP: 'GNOME' }, answer(undefined)), null);
  assert.equal(await noTrayNotice('darwin', { XDG_CURRENT_DESKTOP: 'GNOME' }, answer(false)), null);
  assert.match(noTrayMessage, /GNOME without the AppIndicator extension.*gnome-shell-extension-appindicator.*Quit is in its Dockmirror menu/);
});

test('the Electron main process on a trayless GNOME: the notice in the window, Quit in its menu bar, close minimizes', async (t) => {
  const address = await startBus(t);
  const { seen } = await runElectronMain(t, { XDG_CURRENT_DESKTOP: 'GNOME', DBUS_SESSION_BUS_ADDRESS: address, STUB_END: 'window-quit' });
  assert.deepEqual(seen['notices'], [{ code: 'no-tray', message: noTrayMessage }]);
  assert.deepEqual(seen['windowMenu'], [{ label: 'Dockmirror', submenu: ['Quit Dockmirror'] }]);
  assert.equal(seen['menuBarVisible'], true);
  // Closing minimizes (the window stays in the dash), a second launch brings it back.
  assert.deepEqual(seen['windowCalls'], ['show', 'minimize', 'close refused', 'show', 'focus']);
  // The window's Quit quits, after the mirror stopped.
  assert.equal(seen['closedAtQuit'], 'closed');
  assert.equal(seen['servedAfterQuit'], 'refused');
  assert.equal(seen['exitCode'], null);
});

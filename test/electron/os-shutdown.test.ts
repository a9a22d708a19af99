// The OS shutting down or logging out: the app stops the mirror and quits within the OS's short
// grace, delays the shutdown only the documented way (powerMonitor's 'shutdown'), and never
// prevents a quit while the session ends, which on macOS is what cancels a logout.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { installGracefulQuit, quitWhenOsEnds } from '../../main/electron/lifecycle.js';
import { runElectronMain } from '../support/electron-main-run.js';

/** Electron's app as far as quitting goes: quit() emits before-quit, and quits unless prevented. */
class FakeApp extends EventEmitter {
  quits = 0;
  prevented = 0;
  exitCode: number | undefined;
  quit(): void {
    const event = { prevented: false, preventDefault: () => void (event.prevented = true) };
    this.emit('before-quit', event);
    if (event.prevented) this.prevented++;
    else this.quits++;
  }
  exit(code = 0): void {
    this.exitCode = code;
  }
}

function shutdownEvent() {
  const event = { prevented: false, preventDefault: () => void (event.prevented = true) };
  return event;
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((res) => (resolve = res));
  return { promise, resolve };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test('powerMonitor shutdown: delayed the documented way, the core stopped once, then the app quits; no quit is prevented meanwhile', async () => {
  const app = new FakeApp();
  const powerMonitor = new EventEmitter();
  const stopping = deferred();
  let shutdowns = 0;
  const quit = installGracefulQuit(app, () => (shutdowns++, stopping.promise));
  quitWhenOsEnds(powerMonitor, quit);
  const event = shutdownEvent();
  powerMonitor.emit('shutdown', event);
  assert.equal(event.prevented, true, 'the shutdown was not delayed for the clean stop');
  assert.equal(quit.isQuitting(), true);
  assert.equal(shutdowns, 1);
  // The session manager's own quit while the mirror stops (a logout): never cancelled.
  app.quit();
  assert.equal(app.prevented, 0);
  stopping.resolve();
  await settle();
  assert.equal(shutdowns, 1);
  assert.equal(app.prevented, 0);
  assert.ok(app.quits >= 1);
  assert.equal(app.exitCode, undefined);
});

test('an ending session does not wait out the Quit grace: a hung stop is cut after the OS grace', async () => {
  const app = new FakeApp();
  const powerMonitor = new EventEmitter();
  const quit = installGracefulQuit(app, () => new Promise(() => {}), { graceMs: 60_000, osGraceMs: 30 });
  quitWhenOsEnds(powerMonitor, quit);
  app.quit(); // the user's Quit, stopping with the long grace
  assert.equal(app.prevented, 1);
  powerMonitor.emit('shutdown', shutdownEvent());
  app.quit(); // and now the OS's: let through
  assert.equal(app.prevented, 1);
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.equal(app.exitCode, 1);
});

test("Windows' session-end takes the same short way out", async () => {
  const app = new FakeApp();
  const quit = installGracefulQuit(app, async () => undefined, { osGraceMs: 1_000 });
  quit.sessionEnding();
  quit.sessionEnding();
  app.quit();
  assert.equal(app.prevented, 0);
  await settle();
  assert.equal(app.exitCode, undefined);
});

test('the Electron main process quits cleanly on powerMonitor shutdown (electron stub)', async (t) => {
  const { seen, dataDir } = await runElectronMain(t, { STUB_END: 'os-shutdown' });
  assert.equal(seen['osShutdownDelayed'], true);
  assert.equal(seen['preventedQuits'], 0);
  assert.equal(seen['exitCode'], null);
  assert.equal(seen['servedAfterQuit'], 'refused');
  assert.equal(seen['trayDestroyed'], true);
  const logs = await readdir(join(dataDir, 'logs'));
  const log = (await Promise.all(logs.map((file) => readFile(join(dataDir, 'logs', file), 'utf8')))).join('');
  assert.match(log, /Dockmirror stopped/);
});

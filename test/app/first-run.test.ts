// The defaults a desktop install gets on its first start, against real folders and real sockets:
// the OS cache folder (not userData) for a new install, the old `<data>/cache` kept for an install
// that has one, and a port chosen past a taken default, kept in the settings and announced.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { createAppCore } from '../../main/core/app-core.js';
import type { AppCore } from '../../main/core/app-host.js';
import { newInstallCacheDir, osCacheDir } from '../../main/core/data-dir.js';
import type { FirstRunDefaults } from '../../main/core/first-run.js';
import { sessionKeychain } from '../../main/core/memory-stores.js';
import { describeState } from '../../main/headless/run-headless.js';
import { findFreePort } from '../support/ports.js';

test('the OS cache location on each platform, XDG_CACHE_HOME honoured on Linux', () => {
  assert.equal(osCacheDir('linux', {}, '/home/ada'), '/home/ada/.cache/dockmirror');
  assert.equal(osCacheDir('linux', { XDG_CACHE_HOME: '/var/cache/ada' }, '/home/ada'), '/var/cache/ada/dockmirror');
  // The XDG spec: a relative value is invalid and ignored.
  assert.equal(osCacheDir('linux', { XDG_CACHE_HOME: 'cache' }, '/home/ada'), '/home/ada/.cache/dockmirror');
  assert.equal(osCacheDir('freebsd', {}, '/home/ada'), '/home/ada/.cache/dockmirror');
  assert.equal(osCacheDir('darwin', { XDG_CACHE_HOME: '/elsewhere' }, '/Users/ada'), '/Users/ada/Library/Caches/Dockmirror');
  assert.equal(osCacheDir('win32', { LOCALAPPDATA: 'D:\\Profiles\\ada\\Local' }, 'C:\\Users\\ada'), 'D:\\Profiles\\ada\\Local\\Dockmirror\\Cache');
  assert.equal(osCacheDir('win32', {}, 'C:\\Users\\ada'), 'C:\\Users\\ada\\AppData\\Local\\Dockmirror\\Cache');
  // Never the roaming userData folder.
  assert.doesNotMatch(osCacheDir('win32', { APPDATA: 'C:\\Users\\ada\\AppData\\Roaming' }, 'C:\\Users\\ada'), /Roaming/);
  // A portable install keeps everything in its one folder.
  assert.equal(newInstallCacheDir({ DOCKMIRROR_DATA_DIR: '/media/usb/dockmirror' }, 'linux', '/home/ada'), '/media/usb/dockmirror/cache');
  assert.equal(newInstallCacheDir({ DOCKMIRROR_DATA_DIR: '' }, 'linux', '/home/ada'), '/home/ada/.cache/dockmirror');
});

async function tempDir(t: TestContext, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function writeConfig(dataDir: string, values: Record<string, unknown>): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  // Upstream on a closed port: nothing here may reach Docker Hub.
  await writeFile(join(dataDir, 'config.json'), JSON.stringify({ upstream: 'http://127.0.0.1:1', listenHost: '127.0.0.1', ...values }));
}

async function storedConfig(dataDir: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(dataDir, 'config.json'), 'utf8')) as Record<string, unknown>;
}

async function openCore(t: TestContext, dataDir: string, firstRun?: FirstRunDefaults): Promise<AppCore> {
  const core = createAppCore({ dataDir, keychain: sessionKeychain(), ...(firstRun ? { firstRun } : {}) });
  await core.open();
  t.after(() => core.shutdown());
  await core.ready();
  return core;
}

test('a new install caches in the OS cache folder, and the settings keep it', async (t) => {
  const home = await tempDir(t, 'dm-firstrun-');
  const dataDir = join(home, 'config', 'dockmirror');
  const cacheDir = join(home, 'cache', 'dockmirror');
  await writeConfig(dataDir, { port: await findFreePort() });
  const core = await openCore(t, dataDir, { cacheDir });
  const state = await core.getState();
  assert.equal(state.settings.cachePath, cacheDir);
  assert.equal(state.mirror.cache.path, cacheDir);
  assert.equal(state.mirror.serving, true);
  assert.equal((await storedConfig(dataDir))['cachePath'], cacheDir);
});

test('an existing install keeps its folder: a named cache folder, or a cache in the old <data>/cache', async (t) => {
  const home = await tempDir(t, 'dm-firstrun-');
  const newDefault = join(home, 'os-cache');

  // Settings that name a folder keep it, whatever is on disk.
  const named = join(home, 'named');
  await writeConfig(named, { port: await findFreePort(), cachePath: join(home, 'my-cache') });
  assert.equal((await (await openCore(t, named, { cacheDir: newDefault })).getState()).settings.cachePath, join(home, 'my-cache'));

  // An install from before: it ran with the default inside its data folder, and cached there.
  const legacy = join(home, 'legacy');
  await writeConfig(legacy, { port: await findFreePort() });
  const before = await openCore(t, legacy);
  assert.equal((await before.getState()).settings.cachePath, join(legacy, 'cache'));
  await before.shutdown();
  const after = await openCore(t, legacy, { cacheDir: newDefault });
  const state = await after.getState();
  assert.equal(state.settings.cachePath, join(legacy, 'cache'));
  assert.equal(state.mirror.serving, true);
  // Written down, so the folder stays the cache even after "clear cache" empties it.
  assert.equal((await storedConfig(legacy))['cachePath'], join(legacy, 'cache'));

  // Nor does an existing install's port move, even with the port to try first taken: its
  // Docker hosts use the port it always had. (Not started, so nothing binds the real 5000.)
  const oldPort = join(home, 'old-port');
  await writeConfig(oldPort, { port: await findFreePort() });
  await (await openCore(t, oldPort)).shutdown();
  const withoutPort = await storedConfig(oldPort);
  delete withoutPort['port'];
  await writeFile(join(oldPort, 'config.json'), JSON.stringify({ ...withoutPort, startMirrorOnLaunch: false }));
  const taken = await findFreePort();
  await occupy(t, taken);
  const upgraded = await (await openCore(t, oldPort, { cacheDir: newDefault, port: taken })).getState();
  assert.equal(upgraded.settings.cachePath, join(oldPort, 'cache'));
  assert.equal(upgraded.settings.port, 5000);
  assert.deepEqual(upgraded.notices, []);
  assert.equal((await storedConfig(oldPort))['port'], undefined);

  // An empty <data>/cache is no cache: the new default applies.
  const emptyOld = join(home, 'empty-old');
  await writeConfig(emptyOld, { port: await findFreePort() });
  await mkdir(join(emptyOld, 'cache'));
  assert.equal((await (await openCore(t, emptyOld, { cacheDir: newDefault })).getState()).settings.cachePath, newDefault);
});

function occupy(t: TestContext, port: number): Promise<Server> {
  const server = createServer();
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

test('first run with the default port taken: the next free port, kept in the settings, and said so', async (t) => {
  const home = await tempDir(t, 'dm-firstrun-');
  const dataDir = join(home, 'data');
  const taken = await findFreePort();
  const squatter = await occupy(t, taken);
  await writeConfig(dataDir, {});
  const core = await openCore(t, dataDir, { cacheDir: join(home, 'cache'), port: taken });
  const state = await core.getState();
  const chosen = state.settings.port;
  assert.ok(chosen > taken, `chose ${chosen}`);
  assert.equal(state.mirror.serving, true);
  assert.equal(state.mirror.listen?.port, chosen);
  assert.deepEqual(state.problems, []);
  assert.equal(state.suggestedPort, undefined);
  assert.deepEqual(state.notices?.map((n) => n.code), ['port-chosen']);
  assert.match(state.notices![0]!.message, new RegExp(`Port ${taken} was taken .* chose port ${chosen} and keeps it`));
  assert.equal((await storedConfig(dataDir))['port'], chosen);
  // What the headless app prints when it starts.
  assert.ok(describeState(state).includes(`Note: ${state.notices![0]!.message}`));
  assert.equal((await fetch(`http://127.0.0.1:${chosen}/v2/`)).status, 200);
  await core.shutdown();
  assert.match(await readLogs(dataDir), new RegExp(`chose port ${chosen}`));

  // The next start keeps that port, even with the default free again: hosts are set up for it.
  await new Promise<void>((resolve) => squatter.close(() => resolve()));
  const again = await openCore(t, dataDir, { cacheDir: join(home, 'cache'), port: taken });
  const next = await again.getState();
  assert.equal(next.settings.port, chosen);
  assert.deepEqual(next.notices, []);
});

test('first run never moves the mirror onto the port the headless window is about to take', async (t) => {
  const home = await tempDir(t, 'dm-firstrun-');
  const dataDir = join(home, 'data');
  const taken = await findFreePort();
  await occupy(t, taken);
  await writeConfig(dataDir, {});
  const windowPort = taken + 1;
  const core = await openCore(t, dataDir, { cacheDir: join(home, 'cache'), port: taken, reservedPorts: [windowPort] });
  const state = await core.getState();
  assert.ok(state.settings.port > windowPort, `chose ${state.settings.port}`);
  assert.equal(state.mirror.serving, true);
});

async function readLogs(dataDir: string): Promise<string> {
  const files = await readdir(join(dataDir, 'logs'));
  return (await Promise.all(files.map((file) => readFile(join(dataDir, 'logs', file), 'utf8')))).join('');
}

test('first run with the default port free takes it; a port the user chose is never moved', async (t) => {
  const home = await tempDir(t, 'dm-firstrun-');
  const fresh = join(home, 'fresh');
  const free = await findFreePort();
  await writeConfig(fresh, {});
  const state = await (await openCore(t, fresh, { cacheDir: join(home, 'c1'), port: free })).getState();
  assert.equal(state.settings.port, free);
  assert.deepEqual(state.notices, []);
  assert.equal((await storedConfig(fresh))['port'], free);

  // The user's own port, taken by someone else: that is the user's problem to see, not to hide.
  const chosenByUser = join(home, 'user');
  const taken = await findFreePort();
  await occupy(t, taken);
  await writeConfig(chosenByUser, { port: taken });
  const theirs = await (await openCore(t, chosenByUser, { cacheDir: join(home, 'c2'), port: taken })).getState();
  assert.equal(theirs.settings.port, taken);
  assert.equal(theirs.mirror.serving, false);
  assert.deepEqual(theirs.problems.map((p) => p.code), ['port-in-use']);
});

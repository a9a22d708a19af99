// The app core in plain Node against the real engine and the Docker Hub stand-in: settings that
// restart the listener, a taken port, cache moves with a pull in flight, credentials that never
// come back out, the event history a new window gets, and a log with no secret in it.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { createAppCore } from '../../main/core/app-core.js';
import type { AppCore } from '../../main/core/app-host.js';
import type { AppSettings } from '../../main/shared/contract.js';
import { sessionKeychain } from '../../main/core/memory-stores.js';
import { DEFAULT_HUB_USER } from '../support/hub.js';
import { blobsOf, sha256 } from '../support/images.js';
import { findFreePort } from '../support/ports.js';
import { startTestUpstream, type TestUpstream } from '../support/upstream.js';

let upstream: TestUpstream;

before(async () => {
  upstream = await startTestUpstream();
});

after(async () => {
  await upstream?.close();
});

interface Harness {
  core: AppCore;
  dataDir: string;
  base(): string;
}

async function startCore(t: TestContext, settings: Partial<AppSettings> = {}, keychain = sessionKeychain()): Promise<Harness> {
  const dataDir = await mkdtemp(join(tmpdir(), 'dm-core-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const core = createAppCore({ dataDir, keychain, tuning: { registryName: 'docker.io', minFreeBytes: 0 } });
  await core.open();
  t.after(() => core.shutdown());
  await core.updateSettings({ listenHost: '127.0.0.1', port: await findFreePort(), upstream: upstream.url, ...settings });
  return { core, dataDir, base: () => `http://127.0.0.1:${core.currentState().settings.port}` };
}

async function pullAlpine(base: string): Promise<void> {
  const image = upstream.images.alpine;
  const manifest = await fetch(`${base}/v2/alpine-test/manifests/latest`, { headers: { accept: image.mediaType } });
  assert.equal(manifest.status, 200);
  await manifest.arrayBuffer();
  for (const blob of blobsOf(image)) {
    const response = await fetch(`${base}/v2/alpine-test/blobs/${blob.digest}`);
    assert.equal(response.status, 200);
    assert.equal(sha256(Buffer.from(await response.arrayBuffer())), blob.digest);
  }
}

async function waitFor<T>(find: () => Promise<T | undefined> | T | undefined, what: string, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = await find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function occupy(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

test('a changed port restarts the listener there; the settings survive a restart of the app', async (t) => {
  const { core, dataDir, base } = await startCore(t);
  await core.startMirror();
  const firstBase = base();
  assert.equal((await fetch(`${firstBase}/v2/`)).status, 200);
  const port = await findFreePort();
  const state = await core.updateSettings({ port });
  assert.equal(state.mirror.serving, true);
  assert.equal(state.mirror.listen?.port, port);
  assert.equal((await fetch(`${base()}/v2/`)).status, 200);
  await assert.rejects(fetch(`${firstBase}/v2/`), 'the old port still answers');
  await core.shutdown();

  const again = createAppCore({ dataDir, keychain: sessionKeychain() });
  await again.open();
  t.after(() => again.shutdown());
  assert.equal((await again.getState()).settings.port, port);
});

test('a taken port is a problem with the next free port suggested, never a crash', async (t) => {
  const { core } = await startCore(t);
  const taken = core.currentState().settings.port;
  const blocker = await occupy(taken);
  t.after(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const state = await core.startMirror();
  assert.equal(state.mirror.serving, false);
  const problem = state.problems.find((p) => p.code === 'port-in-use');
  assert.ok(problem, JSON.stringify(state.problems));
  assert.match(problem.message, new RegExp(`Port ${taken} is already used`));
  assert.ok(state.suggestedPort && state.suggestedPort > taken);
  const fixed = await core.updateSettings({ port: state.suggestedPort });
  assert.equal(fixed.mirror.serving, true);
  assert.equal(fixed.problems.some((p) => p.code === 'port-in-use'), false);
});

test('moving the cache lets a pull in flight finish, and the moved cache serves without the upstream', async (t) => {
  const { core, dataDir, base } = await startCore(t);
  await core.startMirror();
  const image = upstream.images.alpine;
  const [layer] = blobsOf(image);
  upstream.hub.injectBlobFault(layer!.digest, { kind: 'delay', ms: 800 }, 1);
  const inFlight = fetch(`${base()}/v2/alpine-test/blobs/${layer!.digest}`).then(async (r) => ({ status: r.status, digest: sha256(Buffer.from(await r.arrayBuffer())) }));
  await new Promise((resolve) => setTimeout(resolve, 200));
  const target = join(dataDir, 'moved');
  const state = await core.changeCachePath(target, 'move');
  assert.deepEqual(await inFlight, { status: 200, digest: layer!.digest });
  assert.equal(state.settings.cachePath, target);
  assert.equal(state.mirror.serving, true);
  assert.ok((await readdir(join(target, 'blobs', 'sha256'))).length > 0, 'the blob was not moved');

  await pullAlpine(base());
  const before = upstream.hub.stats().blobGets[layer!.digest] ?? 0;
  await pullAlpine(base());
  assert.equal(upstream.hub.stats().blobGets[layer!.digest] ?? 0, before, 'a cached blob went upstream again after the move');
  await assert.rejects(core.changeCachePath('relative/path', 'empty'), /full folder path/);
});

test('credentials go to the keychain only: the state says who, never the token, and the log has no secret', async (t) => {
  const keychain = sessionKeychain();
  const { core, dataDir, base } = await startCore(t, { logLevel: 'trace' }, keychain);
  const status = await core.saveCredentials(DEFAULT_HUB_USER.username, DEFAULT_HUB_USER.password);
  assert.deepEqual(status, { keychainAvailable: true, savedFor: DEFAULT_HUB_USER.username });
  assert.equal(await keychain.get(`hub:${DEFAULT_HUB_USER.username}`), DEFAULT_HUB_USER.password);
  const tested = await core.testCredentials();
  assert.equal(tested.ok, true, tested.message);
  assert.match(tested.message, new RegExp(`Signed in as ${DEFAULT_HUB_USER.username}: \\d+ pulls per`));
  await core.startMirror();
  await pullAlpine(base());
  const state = JSON.stringify(await core.getState());
  assert.ok(state.includes(DEFAULT_HUB_USER.username));
  assert.ok(!state.includes(DEFAULT_HUB_USER.password), 'the token reached the window state');
  await core.deleteCredentials();
  assert.equal((await core.getState()).credentials.savedFor, null);
  await core.shutdown();
  const logs = await readdir(join(dataDir, 'logs'));
  assert.ok(logs.length > 0);
  const text = (await Promise.all(logs.map((name) => readFile(join(dataDir, 'logs', name), 'utf8')))).join('');
  assert.match(text, /mirror listening/);
  assert.ok(!text.includes(DEFAULT_HUB_USER.password), 'the token reached the log');
  const settingsFile = await readFile(join(dataDir, 'config.json'), 'utf8');
  assert.ok(!settingsFile.includes(DEFAULT_HUB_USER.password), 'the token reached the settings file');
});

test('a new window gets the recent pulls and the hosts that pulled', async (t) => {
  const { core, base } = await startCore(t);
  const live: string[] = [];
  core.onEvent((event) => live.push(event.type));
  await core.startMirror();
  await pullAlpine(base());
  const pull = await waitFor(async () => (await core.recentEvents()).find((e) => e.type === 'pull'), 'the pull summary');
  assert.match(pull.type === 'pull' ? pull.summary : '', /127\.0\.0\.1 pulled library\/alpine-test:latest/);
  assert.ok(live.includes('request') && live.includes('pull'));
  const clients = await core.recentClients();
  assert.equal(clients[0]?.address, '127.0.0.1');
  assert.equal(clients[0]?.pulls, 1);
  const cached = await core.listCache();
  assert.ok(cached.some((r) => r.repository === 'library/alpine-test'));
  const left = await core.deleteCachedImage(cached[0]!.registry, 'library/alpine-test');
  assert.equal(left.some((r) => r.repository === 'library/alpine-test'), false);
});

test('client sign-in needs a saved password, then LAN hosts must log in', async (t) => {
  const { core, base } = await startCore(t);
  await core.startMirror();
  await assert.rejects(core.updateSettings({ clientAuth: { enabled: true, username: 'lan' } }), /Save a client password first/);
  await core.setClientPassword('correct horse battery');
  await core.updateSettings({ clientAuth: { enabled: true, username: 'lan' } });
  assert.equal((await fetch(`${base()}/v2/`)).status, 401);
  const basic = `Basic ${Buffer.from('lan:correct horse battery').toString('base64')}`;
  assert.equal((await fetch(`${base()}/v2/`, { headers: { authorization: basic } })).status, 200);
  await core.setClientPassword('another long password');
  assert.equal((await fetch(`${base()}/v2/`, { headers: { authorization: basic } })).status, 401, 'the old password still works');
  await assert.rejects(core.updateSettings({ launchAtLogin: true }), /needs the desktop app/);
  await assert.rejects(core.updateSettings({ tagTtlSeconds: -1 }), /tag refresh time/);
  assert.equal((await core.getState()).settings.tagTtlSeconds, 60);
});

test('quitting lets a pull in flight finish and leaves only verified blobs in the store', async (t) => {
  const { core, base } = await startCore(t);
  const state = await core.startMirror();
  const [layer] = blobsOf(upstream.images.alpine);
  upstream.hub.injectBlobFault(layer!.digest, { kind: 'delay', ms: 600 }, 1);
  const inFlight = fetch(`${base()}/v2/alpine-test/blobs/${layer!.digest}`).then(async (r) => sha256(Buffer.from(await r.arrayBuffer())));
  await new Promise((resolve) => setTimeout(resolve, 150));
  await core.shutdown();
  assert.equal(await inFlight, layer!.digest);
  await assert.rejects(fetch(`${base()}/v2/`), 'the mirror still answers after quitting');
  const store = join(state.settings.cachePath, 'blobs', 'sha256');
  const hex = layer!.digest.slice('sha256:'.length);
  assert.equal(sha256(await readFile(join(store, hex.slice(0, 2), hex))), layer!.digest, 'the finished pull was not stored');
  for (const prefix of await readdir(store)) {
    for (const name of await readdir(join(store, prefix))) {
      assert.equal(sha256(await readFile(join(store, prefix, name))), `sha256:${name}`);
    }
  }
  assert.deepEqual(await readdir(join(state.settings.cachePath, 'tmp')), []);
});

// The app core with its engine in a real child process (child_process.fork of the entry file
// the desktop app hands to utilityProcess.fork), against the Docker Hub stand-in: commands,
// status and events cross the boundary; secrets cross it only into the engine; a SIGKILL during
// a pull is reported, the engine comes back on the same port with a clean store, and pulls work.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { createAppCore } from '../../main/core/app-core.js';
import type { AppCore } from '../../main/core/app-host.js';
import type { AppSettings, AppState } from '../../main/shared/contract.js';
import { sessionKeychain } from '../../main/core/memory-stores.js';
import { trayIconState } from '../../main/electron/tray-menu.js';
import type { ChannelOpener } from '../../main/engine-process/channel.js';
import { EngineProcess } from '../../main/engine-process/engine-process.js';
import { nodeChannelOpener } from '../../main/engine-process/node-channel.js';
import { RestartPolicy } from '../../main/engine-process/restart-policy.js';
import { engineNodeFlags } from '../../mirror/process-flags.js';
import { DEFAULT_HUB_USER } from '../support/hub.js';
import { blobsOf, pushRandomImage, sha256, type PushedImageManifest } from '../support/images.js';
import { findFreePort } from '../support/ports.js';
import { blobFiles, mismatchedBlobFiles, tempFiles } from '../support/store-files.js';
import { startTestUpstream, type TestUpstream } from '../support/upstream.js';

let upstream: TestUpstream;

before(async () => {
  upstream = await startTestUpstream();
});

after(async () => {
  await upstream?.close();
});

interface Wire {
  toChild: string[];
  fromChild: string[];
}

/** The real fork adapter, with every message of both directions written down. */
function recordingOpener(wire: Wire): ChannelOpener {
  return (entry, execArgv) => {
    const channel = nodeChannelOpener(entry, execArgv);
    return {
      get pid() {
        return channel.pid;
      },
      postMessage(message) {
        wire.toChild.push(JSON.stringify(message));
        channel.postMessage(message);
      },
      onMessage: (listener) =>
        channel.onMessage((message) => {
          wire.fromChild.push(JSON.stringify(message));
          listener(message);
        }),
      onExit: (listener) => channel.onExit(listener),
      kill: () => channel.kill(),
    };
  };
}

interface Harness {
  core: AppCore;
  engines: EngineProcess;
  wire: Wire;
  dataDir: string;
  states: AppState[];
  base(): string;
}

async function startCore(t: TestContext, settings: Partial<AppSettings> = {}, keychain = sessionKeychain()): Promise<Harness> {
  const dataDir = await mkdtemp(join(tmpdir(), 'dm-engine-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const wire: Wire = { toChild: [], fromChild: [] };
  const engines = new EngineProcess({ open: recordingOpener(wire), restart: { firstDelayMs: 200, maxDelayMs: 5_000, stableMs: 60_000 } });
  const core = createAppCore({ dataDir, keychain, engines, tuning: { registryName: 'docker.io', minFreeBytes: 0 } });
  await core.open();
  t.after(() => core.shutdown());
  const states: AppState[] = [];
  core.onState((state) => states.push(state));
  await core.updateSettings({ listenHost: '127.0.0.1', port: await findFreePort(), upstream: upstream.url, ...settings });
  return { core, engines, wire, dataDir, states, base: () => `http://127.0.0.1:${core.currentState().settings.port}` };
}

async function waitFor<T>(find: () => Promise<T | undefined> | T | undefined, what: string, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = await find();
    if (found !== undefined && found !== false) return found;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function pullImage(base: string, image: PushedImageManifest, headers: Record<string, string> = {}): Promise<void> {
  const manifest = await fetch(`${base}/v2/${image.repository}/manifests/${image.tag}`, { headers: { ...headers, accept: image.mediaType } });
  assert.equal(manifest.status, 200, `manifest of ${image.repository}`);
  assert.equal(sha256(Buffer.from(await manifest.arrayBuffer())), image.digest);
  for (const blob of blobsOf(image)) {
    const response = await fetch(`${base}/v2/${image.repository}/blobs/${blob.digest}`, { headers });
    assert.equal(response.status, 200);
    assert.equal(sha256(Buffer.from(await response.arrayBuffer())), blob.digest);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function occupy(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function appLog(dataDir: string): Promise<string> {
  const dir = join(dataDir, 'logs');
  return (await Promise.all((await readdir(dir)).map((name) => readFile(join(dir, name), 'utf8')))).join('');
}

test('the engine serves from its own process with its flags; commands, status, events and errors cross the boundary', async (t) => {
  const { core, engines, dataDir, base } = await startCore(t);
  const events: string[] = [];
  core.onEvent((event) => events.push(event.type));
  const state = await core.startMirror();
  assert.equal(state.mirror.serving, true);
  const pid = engines.pid!;
  assert.ok(pid && pid !== process.pid);
  const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
  for (const flag of engineNodeFlags) assert.ok(argv.includes(flag), `the engine process lacks ${flag}: ${argv.join(' ')}`);

  await pullImage(base(), upstream.images.alpine);
  await waitFor(() => events.includes('pull'), 'the pull event from the engine process');
  const counted = await waitFor(async () => {
    const { mirror } = await core.getState();
    return mirror.counters.requests >= 1 + blobsOf(upstream.images.alpine).length ? mirror : undefined;
  }, 'the counters pushed by the engine process');
  assert.ok(counted.cache.blobs >= 1);
  const cached = await core.listCache();
  const { repository } = upstream.images.alpine;
  assert.ok(cached.some((r) => r.repository === repository), JSON.stringify(cached));
  const left = await core.deleteCachedImage(cached[0]!.registry, repository);
  assert.equal(left.some((r) => r.repository === repository), false);

  // An engine error keeps its code across the boundary: a taken port is a problem, not a crash.
  const taken = await findFreePort();
  const blocker = await occupy(taken);
  t.after(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const blocked = await core.updateSettings({ port: taken });
  assert.equal(blocked.mirror.serving, false);
  assert.ok(blocked.problems.some((p) => p.code === 'port-in-use'), JSON.stringify(blocked.problems));
  assert.equal(engines.pid, pid, 'the engine process survived the failed listen');

  await core.shutdown();
  assert.equal(alive(pid), false, 'quitting ended the engine process');
  assert.match(await appLog(dataDir), /"msg":"mirror listening"/, "the engine's log lines reach the app's log");
});

test('credentials and the client password cross only into the engine process, never back', async (t) => {
  const keychain = sessionKeychain();
  const clientPassword = 'lan-client-password-0042';
  const { core, wire, dataDir, base } = await startCore(t, { logLevel: 'trace' }, keychain);
  await core.saveCredentials(DEFAULT_HUB_USER.username, DEFAULT_HUB_USER.password);
  await core.setClientPassword(clientPassword);
  await core.updateSettings({ clientAuth: { enabled: true, username: 'lan' } });
  await core.startMirror();
  const basic = { authorization: `Basic ${Buffer.from(`lan:${clientPassword}`).toString('base64')}` };
  // A private repository: only the saved account may pull it, so the engine must have used it.
  await pullImage(base(), upstream.images.privateImage, basic);
  assert.ok(upstream.hub.stats().tokenRequests.some((r) => r.username === DEFAULT_HUB_USER.username), 'the pull used the saved account');
  await core.shutdown();

  const into = wire.toChild.join('\n');
  assert.ok(into.includes(DEFAULT_HUB_USER.password) && into.includes(clientPassword), 'the secrets reached the engine process');
  const back = wire.fromChild.filter((line) => line.includes(DEFAULT_HUB_USER.password) || line.includes(clientPassword));
  assert.deepEqual(back, [], 'a message from the engine process carried a secret');
  assert.ok(wire.fromChild.some((line) => line.includes('"type":"log"')), 'the engine logged at trace level');
  const log = await appLog(dataDir);
  assert.ok(!log.includes(DEFAULT_HUB_USER.password) && !log.includes(clientPassword), 'a secret reached the app log');
});

test('SIGKILL of the engine during a pull: the app says so, restarts it with backoff on the same port, the store is clean, the next pull succeeds', async (t) => {
  const { core, engines, states, base } = await startCore(t);
  const started = await core.startMirror();
  const port = started.mirror.listen!.port;
  const cacheDir = started.settings.cachePath;
  const image = await pushRandomImage(upstream.registry.url, { repository: 'dockmirror/engine-crash', tag: '1', sizeBytes: 2_000_000 });
  const layer = image.layers[0]!;
  upstream.hub.injectBlobFault(layer.digest, { kind: 'hold', afterBytes: Math.floor(layer.size / 2) }, 1);
  const client = fetch(`${base()}/v2/${image.repository}/blobs/${layer.digest}`)
    .then(async (response) => `${response.status}, ${Buffer.from(await response.arrayBuffer()).length} of ${layer.size} bytes`)
    .catch(() => 'cut off');
  await waitFor(async () => (await tempFiles(cacheDir)).some((f) => f.size >= Math.floor(layer.size / 2)), 'a half-written download');

  const firstPid = engines.pid!;
  process.kill(firstPid, 'SIGKILL');
  assert.notEqual(await client, `200, ${layer.size} of ${layer.size} bytes`, 'the client saw a complete transfer from a killed engine');
  const down = await waitFor(() => states.find((s) => s.problems.some((p) => p.code === 'engine-crashed')), 'the crash in the published state');
  assert.equal(down.mirror.serving, false);
  assert.match(down.problems.find((p) => p.code === 'engine-crashed')!.message, /stopped unexpectedly \(killed by SIGKILL\); Dockmirror is restarting it in 200 ms/);
  assert.equal(trayIconState(down), 'error', 'the tray shows the crash');

  const back = await waitFor(() => {
    const state = states.at(-1)!;
    return state.mirror.serving && !state.problems.some((p) => p.code === 'engine-crashed') ? state : undefined;
  }, 'the engine serving again');
  assert.equal(back.mirror.listen?.port, port, 'the engine came back on the same port');
  assert.notEqual(engines.pid, firstPid);
  assert.deepEqual(await tempFiles(cacheDir), [], 'the restart swept tmp/');
  assert.deepEqual(await mismatchedBlobFiles(cacheDir), [], 'every stored blob hashes to its name');
  assert.ok(!(await blobFiles(cacheDir)).some((f) => f.digest === layer.digest), 'the half-downloaded blob is not in the store');
  await pullImage(base(), image);

  // A second death soon after: the next delay doubles.
  const crashesBefore = states.length;
  process.kill(engines.pid!, 'SIGKILL');
  const again = await waitFor(() => states.slice(crashesBefore).find((s) => s.problems.some((p) => p.code === 'engine-crashed')), 'the second crash');
  assert.match(again.problems.find((p) => p.code === 'engine-crashed')!.message, /restarting it in 400 ms/);
  await waitFor(() => states.at(-1)!.mirror.serving || undefined, 'the engine serving after the second crash');
  assert.equal((await fetch(`http://127.0.0.1:${port}/v2/`)).status, 200);
});

test('restart delays double up to the cap and start over after a stable run', () => {
  const policy = new RestartPolicy({ firstDelayMs: 1000, maxDelayMs: 8000, stableMs: 60_000 });
  assert.deepEqual([0, 10, 10, 10, 10, 10].map((uptime) => policy.nextDelay(uptime)), [1000, 2000, 4000, 8000, 8000, 8000]);
  assert.equal(policy.nextDelay(60_000), 1000, 'a process that ran a stable period starts the sequence over');
  assert.equal(policy.nextDelay(5), 2000);
});

// Every API argument that becomes a path, sent the way an attacker or a careless page would: over
// HTTP to the real headless server in front of the real app core and engine, and over IPC. Each
// kind (registry, repository, tag or digest, folder) is a bad call answered 400 with a sentence
// before it reaches the core, and nothing on disk is touched; well-formed calls still work.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import type { ApiMethodName } from '../../main/core/api-validation.js';
import { createAppCore } from '../../main/core/app-core.js';
import type { AppCore } from '../../main/core/app-host.js';
import { sessionKeychain } from '../../main/core/memory-stores.js';
import { invokeChannel } from '../../main/electron/channels.js';
import { createSenderCheck, registerIpcHandlers } from '../../main/electron/ipc.js';
import { startHeadless, type HeadlessServer } from '../../main/headless/server.js';
import { blobsOf } from '../support/images.js';
import { FakeIpcMain, FakeWebContents } from '../support/fake-electron.js';
import { findFreePort } from '../support/ports.js';
import { allFiles } from '../support/store-files.js';
import { startTestUpstream, type TestUpstream } from '../support/upstream.js';

let upstream: TestUpstream;
let dataDir: string;
let core: AppCore;
let server: HeadlessServer;
let cachePath: string;
/** Beside the cache, where `..` from a repository folder would land. */
let victim: string;

before(async () => {
  upstream = await startTestUpstream();
  dataDir = await mkdtemp(join(tmpdir(), 'dm-api-paths-'));
  core = createAppCore({ dataDir, keychain: sessionKeychain(), tuning: { registryName: 'docker.io', minFreeBytes: 0 } });
  await core.open();
  await core.updateSettings({ listenHost: '127.0.0.1', port: await findFreePort(), upstream: upstream.url });
  const state = await core.startMirror();
  cachePath = state.settings.cachePath;
  server = await startHeadless(core, { host: '127.0.0.1', port: 0, rendererDir: join(dataDir, 'no-renderer') });
  const base = `http://127.0.0.1:${state.settings.port}`;
  const image = upstream.images.alpine;
  assert.equal((await fetch(`${base}/v2/alpine-test/manifests/latest`, { headers: { accept: image.mediaType } })).status, 200);
  for (const blob of blobsOf(image)) await (await fetch(`${base}/v2/alpine-test/blobs/${blob.digest}`)).arrayBuffer();
  victim = join(dataDir, 'x');
  await mkdir(join(victim, 'keep'), { recursive: true });
  await writeFile(join(victim, 'keep', 'file.txt'), 'not the cache');
  await mkdir(join(cachePath, 'registries', 'x'), { recursive: true });
  await writeFile(join(cachePath, 'registries', 'x', 'file.txt'), 'someone else');
});

after(async () => {
  await server?.close();
  await core?.shutdown();
  await upstream?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function call(method: string, args: unknown[]): Promise<{ status: number; body: { result?: unknown; error?: { code: string; message: string } } }> {
  const response = await fetch(new URL(`/api/call/${method}`, server.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-dockmirror-token': server.token },
    body: JSON.stringify(args),
  });
  return { status: response.status, body: (await response.json()) as never };
}

/** Each call must be a 400 bad call whose sentence names what was wrong. */
async function refused(method: string, cases: unknown[][], names: RegExp): Promise<void> {
  const wrong: string[] = [];
  for (const args of cases) {
    const { status, body } = await call(method, args);
    const message = body.error?.message ?? '';
    if (status !== 400 || body.error?.code !== 'bad-request' || !/^The [a-z ]+ .*\.$/.test(message) || !names.test(message) || /\n\s+at /.test(message)) {
      wrong.push(`${method}(${JSON.stringify(args)}) → ${status} ${JSON.stringify(body)}`);
    }
  }
  assert.deepEqual(wrong, []);
}

async function untouched(): Promise<void> {
  assert.deepEqual(await readdir(join(victim, 'keep')), ['file.txt'], 'a folder outside the cache was touched');
  assert.deepEqual(await readdir(join(cachePath, 'registries', 'x')), ['file.txt']);
  const repos = (await core.listCache()).map((r) => r.repository);
  assert.deepEqual(repos, ['library/alpine-test'], 'the cached image went');
}

const climbing = ['..', '.', '', '../x', '../../x', 'x/..', '/etc', 'a//b', 'a/./b', 'a\\b', 'a\u0000b', '%2e%2e', '~'];

test('registry names: .., ., separators and empties are bad calls, never folders', async () => {
  await refused('deleteCachedImage', [...climbing, '.hidden', 'docker.io/../x'].map((registry) => [registry, 'library/alpine-test']), /registry/);
  await refused('deleteCachedImage', [[7, 'library/alpine-test'], [null, 'library/alpine-test'], [{}, 'library/alpine-test']], /registry/);
  await untouched();
});

test('repository names follow the OCI name grammar: deleteCachedImage("..", "../x") and its kin are refused', async () => {
  await refused('deleteCachedImage', [['..', '../x']], /registry/);
  const names = [...climbing, 'library/../x', 'library/alpine-test/..', 'UPPER/case', '-x', 'x-', 'a'.repeat(256), 'library/alpine-test/_tags'];
  await refused('deleteCachedImage', names.map((repository) => ['docker.io', repository]), /repository/);
  await untouched();
});

test('tags and digests follow the OCI reference grammar', async () => {
  const references = [...climbing.filter((r) => r !== ''), '', '-latest', 'a'.repeat(129), 'sha256:../x', 'sha256:abc', 'sha512:' + 'a'.repeat(128), 'latest/../x', 'latest.json/..'];
  await refused('deleteCachedImage', references.map((reference) => ['docker.io', 'library/alpine-test', reference]), /tag/);
  await untouched();
});

test('folders are full paths with no . or .. parts, in every method that takes one', async () => {
  const folders = ['', 'relative', './cache', '../cache', '~/cache', `${dataDir}/../etc`, `${dataDir}/./x`, `${cachePath}/..`, `${victim}\u0000`, 'C:relative', 42, null];
  await refused('listDirectory', folders.map((folder) => [folder]), /folder/);
  await refused('checkCachePath', folders.map((folder) => [folder]), /folder/);
  await refused('changeCachePath', folders.map((folder) => [folder, 'move']), /folder/);
  await refused('updateSettings', folders.map((folder) => [{ cachePath: folder }]), /cache folder/);
  assert.equal(core.currentState().settings.cachePath, cachePath);
  await untouched();
});

test('well-formed names and folders still reach the core', async () => {
  const listing = await call('listDirectory', [dataDir]);
  assert.equal(listing.status, 200);
  assert.ok((listing.body.result as { entries: { name: string }[] }).entries.some((entry) => entry.name === 'x'));
  const check = await call('checkCachePath', [join(dataDir, 'new-cache')]);
  assert.equal(check.status, 200);
  // A name that is valid but not cached deletes nothing.
  assert.equal((await call('deleteCachedImage', ['docker.io', 'library/other', 'sha256:' + 'a'.repeat(64)])).status, 200);
  await untouched();
  const deleted = await call('deleteCachedImage', ['docker.io', 'library/alpine-test', 'latest']);
  assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
  assert.deepEqual(deleted.body.result, []);
  assert.deepEqual(await readdir(join(victim, 'keep')), ['file.txt']);
  assert.ok((await allFiles(cachePath)).some((file) => file.endsWith(join('registries', 'x', 'file.txt'))));
});

test('over IPC the same arguments are an error result with the same sentence, and never reach the core', async () => {
  const ipcMain = new FakeIpcMain();
  const rendererUrl = pathToFileURL('/opt/Dockmirror/dist/renderer/index.html').href;
  const reached: string[] = [];
  const recording = new Proxy(core, {
    get: (target, name, receiver) => {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        reached.push(String(name));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  registerIpcHandlers(ipcMain, recording, createSenderCheck({ windowContents: () => new FakeWebContents(3), rendererUrl }));
  const sender = { id: 3, frameUrl: rendererUrl };
  const cases: [ApiMethodName, unknown[], RegExp][] = [
    ['deleteCachedImage', ['..', '../x'], /^The registry "\.\." is not one the cache lists/],
    ['deleteCachedImage', ['docker.io', '../x'], /^The repository "\.\.\/x" is not an image name/],
    ['deleteCachedImage', ['docker.io', 'library/alpine-test', '../x'], /^The tag "\.\.\/x" is neither a tag/],
    ['listDirectory', ['/tmp/../etc'], /^The folder "\/tmp\/\.\.\/etc" has "\." or "\.\." in it/],
    ['changeCachePath', ['relative', 'move'], /^The folder "relative" is not a full path/],
  ];
  for (const [method, args, message] of cases) {
    const reply = (await ipcMain.invoke(sender, invokeChannel(method), ...args)) as { ok: boolean; error: { code: string; message: string } };
    assert.equal(reply.ok, false, method);
    assert.equal(reply.error.code, 'bad-request');
    assert.match(reply.error.message, message);
  }
  assert.deepEqual(reached, []);
});

// Changing the app's cache folder against real folders: the engine's folder rules in the window's
// check, a move that runs out of space on a real tmpfs half way (or finds the target read-only or
// someone's folder) and leaves the old folder byte for byte as it was and serving, and a move that
// completes and leaves only the files Dockmirror never wrote in the old folder.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { createAppCore } from '../../main/core/app-core.js';
import type { AppCore } from '../../main/core/app-host.js';
import type { AppState } from '../../main/shared/contract.js';
import { sessionKeychain } from '../../main/core/memory-stores.js';
import { createMirror, markerFileName, scanStore } from '../../mirror/index.js';
import { blobsOf, pushRandomImage, sha256, type PushedImageManifest } from '../support/images.js';
import { findFreePort } from '../support/ports.js';
import { allFiles } from '../support/store-files.js';
import { startTestUpstream, type TestUpstream } from '../support/upstream.js';

let upstream: TestUpstream;
let big: PushedImageManifest;
let workDir: string;
const page = 4096;

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'dm-cache-move-'));
  upstream = await startTestUpstream();
  big = await pushRandomImage(upstream.registry.url, { repository: 'dockmirror/move-big', tag: '1', sizeBytes: 768 * 1024 });
});

after(async () => {
  await upstream?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

interface Harness {
  core: AppCore;
  dataDir: string;
  base(): string;
}

async function startCore(t: TestContext): Promise<Harness> {
  const dataDir = await mkdtemp(join(workDir, 'data-'));
  const core = createAppCore({ dataDir, keychain: sessionKeychain(), tuning: { registryName: 'docker.io', minFreeBytes: 0 } });
  await core.open();
  t.after(() => core.shutdown());
  await core.updateSettings({ listenHost: '127.0.0.1', port: await findFreePort(), upstream: upstream.url });
  await core.startMirror();
  return { core, dataDir, base: () => `http://127.0.0.1:${core.currentState().settings.port}` };
}

async function pull(base: string, image: PushedImageManifest, name = image.repository): Promise<void> {
  const manifest = await fetch(`${base}/v2/${name}/manifests/${image.tag}`, { headers: { accept: image.mediaType } });
  assert.equal(manifest.status, 200);
  await manifest.arrayBuffer();
  for (const blob of blobsOf(image)) {
    const response = await fetch(`${base}/v2/${name}/blobs/${blob.digest}`);
    assert.equal(response.status, 200);
    assert.equal(sha256(Buffer.from(await response.arrayBuffer())), blob.digest);
  }
}

/** Pulls two images and leaves files Dockmirror never wrote beside and inside its layout. */
async function fillCache(h: Harness): Promise<string> {
  await pull(h.base(), upstream.images.alpine, 'alpine-test');
  await pull(h.base(), big);
  const cache = h.core.currentState().settings.cachePath;
  await writeFile(join(cache, 'notes.txt'), 'my notes');
  await mkdir(join(cache, 'tmp', 'mine'), { recursive: true });
  await writeFile(join(cache, 'tmp', 'precious.txt'), 'keep me');
  await writeFile(join(cache, 'blobs', 'README'), 'a file in the layout that is not a blob');
  return cache;
}

/** Every file under dir with its bytes, once two reads agree (the last pull's records settled). */
async function settledContents(dir: string): Promise<Record<string, string>> {
  const read = async () => {
    const result: Record<string, string> = {};
    for (const file of (await allFiles(dir)).sort()) result[relative(dir, file)] = sha256(await readFile(file));
    return result;
  };
  let last = await read();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const next = await read();
    if (JSON.stringify(next) === JSON.stringify(last)) return next;
    last = next;
  }
}

async function mountTmpfs(t: TestContext, name: string, options: string): Promise<string> {
  const dir = join(workDir, name);
  await mkdir(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
  t.after(() => execFileSync('umount', ['-l', dir]));
  return dir;
}

function moveProblem(state: AppState): string {
  const problem = state.problems.find((p) => p.code === 'cache-move-failed');
  assert.ok(problem, `no cache-move-failed problem in ${JSON.stringify(state.problems)}`);
  return problem.message;
}

/** The old folder serves a cached blob and the upstream is not asked for it. */
async function servesFromCache(h: Harness): Promise<void> {
  const [layer] = big.layers;
  const before = upstream.hub.stats().blobGets[layer!.digest] ?? 0;
  const response = await fetch(`${h.base()}/v2/${big.repository}/blobs/${layer!.digest}`);
  assert.equal(response.status, 200);
  assert.equal(sha256(Buffer.from(await response.arrayBuffer())), layer!.digest);
  assert.equal(upstream.hub.stats().blobGets[layer!.digest] ?? 0, before, 'the blob came from the upstream, not the cache');
}

test('a move to a real tmpfs too small for the cache fails half way: the old folder is byte-identical and serving, the settings unchanged, the problem shown', async (t) => {
  const h = await startCore(t);
  const cache = await fillCache(h);
  const settingsFile = join(h.dataDir, 'config.json');
  const settingsBefore = await readFile(settingsFile, 'utf8');
  const before = await settledContents(cache);

  // Sized so the up-front free-space check passes (the bytes fit) and the copy still runs out:
  // a tmpfs charges every small record a whole page, so the disk fills before the last file.
  const own = (await scanStore(cache, new Set(['tmp']))).own;
  const sizes = await Promise.all(own.map(async (file) => (await stat(join(cache, file))).size));
  const bytes = sizes.reduce((sum, size) => sum + size, 0);
  const charged = sizes.reduce((sum, size) => sum + Math.ceil(size / page) * page, 0);
  const tmpfsBytes = Math.ceil(bytes / page) * page + page;
  assert.ok(charged > tmpfsBytes + 2 * page, `the cache (${bytes} bytes, ${charged} charged) would fit in ${tmpfsBytes}`);
  const small = await mountTmpfs(t, 'small', `size=${tmpfsBytes}`);
  const target = join(small, 'cache');

  await assert.rejects(h.core.changeCachePath(target, 'move'), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'cache-move-failed');
    assert.match(error.message, new RegExp(`^The cache was not moved: ${target} ran out of space after [1-9]\\d* files were copied\\. The copies were removed, and the cache stays in ${cache} and the mirror keeps serving from it\\.$`));
    return true;
  });
  const state = h.core.currentState();
  assert.match(moveProblem(state), /ran out of space/);
  assert.match(moveProblem(await h.core.getState()), /ran out of space/);
  assert.equal(state.settings.cachePath, cache);
  assert.equal(state.mirror.serving, true);
  assert.equal(await readFile(settingsFile, 'utf8'), settingsBefore, 'the settings file changed');
  assert.deepEqual(await settledContents(cache), before, 'the old folder changed');
  assert.deepEqual(await readdir(small), [], 'the partial copy was left on the tmpfs');
  await servesFromCache(h);

  // Far too small: refused before a byte is copied, with the same problem shown.
  const tiny = await mountTmpfs(t, 'tiny', 'size=64k');
  await assert.rejects(h.core.changeCachePath(join(tiny, 'cache'), 'move'), /The cache holds .* but .*tiny\/cache has only .* free; nothing was copied, and the cache stays in/);
  assert.match(moveProblem(h.core.currentState()), /nothing was copied/);
  assert.deepEqual(await readdir(tiny), []);
  assert.deepEqual(await settledContents(cache), before);
  await servesFromCache(h);
});

test('a read-only target and a folder holding someone else\'s files are refused with a sentence, shown as a problem, the old folder serving', async (t) => {
  const h = await startCore(t);
  const cache = await fillCache(h);
  const before = await settledContents(cache);

  const readOnly = await mountTmpfs(t, 'read-only', 'ro,size=1m');
  await assert.rejects(h.core.changeCachePath(join(readOnly, 'cache'), 'move'), /Dockmirror cannot write to .*read-only; choose a folder you own\./);
  assert.match(moveProblem(h.core.currentState()), /cannot write to/);

  const someones = join(workDir, 'someones-folder');
  await mkdir(someones);
  await writeFile(join(someones, 'thesis.tex'), 'years of work');
  await assert.rejects(h.core.changeCachePath(someones, 'move'), new RegExp(`${someones} holds files that are not a Dockmirror cache \\(such as thesis\\.tex\\); choose an empty folder, or use ${someones}/dockmirror-cache\\.`));
  assert.match(moveProblem(h.core.currentState()), /holds files that are not a Dockmirror cache/);
  assert.deepEqual(await readdir(someones), ['thesis.tex']);

  const state = h.core.currentState();
  assert.equal(state.settings.cachePath, cache);
  assert.equal(state.mirror.serving, true);
  assert.deepEqual(await settledContents(cache), before);
  await servesFromCache(h);
});

test('a move completes: the pull is served from the new folder, the old folder keeps only files Dockmirror never wrote, and the problem clears', async (t) => {
  const h = await startCore(t);
  const cache = await fillCache(h);
  const taken = join(workDir, 'taken');
  await mkdir(taken);
  await writeFile(join(taken, 'x.txt'), 'x');
  await assert.rejects(h.core.changeCachePath(taken, 'move'));
  assert.ok(h.core.currentState().problems.some((p) => p.code === 'cache-move-failed'));
  const ownBefore = (await scanStore(cache, new Set(['tmp']))).own.sort();

  const target = join(workDir, 'moved', 'cache');
  // A double click: the second change is refused while the first runs, and does not touch it.
  const [first, second] = await Promise.allSettled([h.core.changeCachePath(target, 'move'), h.core.changeCachePath(target, 'move')]);
  assert.equal(second.status, 'rejected');
  assert.match(String((second as PromiseRejectedResult).reason), /The cache folder is being changed already; wait until that is done\./);
  assert.equal(first.status, 'fulfilled', String((first as PromiseRejectedResult).reason));
  const state = first.value;
  assert.equal(state.settings.cachePath, target);
  assert.equal(state.mirror.serving, true);
  assert.deepEqual(state.problems.filter((p) => p.code === 'cache-move-failed'), [], 'the old failure is still shown');
  const saved = JSON.parse(await readFile(join(h.dataDir, 'config.json'), 'utf8')) as { cachePath: string };
  assert.equal(saved.cachePath, target);

  assert.deepEqual((await scanStore(target)).own.sort(), ownBefore, 'the new folder does not hold exactly the old own files');
  assert.deepEqual((await scanStore(target)).foreign, []);
  const oldFiles = (await allFiles(cache)).map((file) => relative(cache, file)).sort();
  assert.deepEqual(oldFiles, ['blobs/README', 'notes.txt', 'tmp/precious.txt'], 'the old folder lost a foreign file or kept an own one');
  assert.ok((await stat(join(cache, 'tmp', 'mine'))).isDirectory());

  const gets = { ...upstream.hub.stats().blobGets };
  await pull(h.base(), big);
  await pull(h.base(), upstream.images.alpine, 'alpine-test');
  assert.deepEqual(upstream.hub.stats().blobGets, gets, 'a moved blob went to the upstream again');
});

test('the window\'s folder check uses the engine\'s rules: system folders and foreign folders refused with why, an existing cache adopted', async (t) => {
  const h = await startCore(t);
  for (const path of ['/', homedir(), '/etc', '/usr/lib', '/var']) {
    const check = await h.core.checkCachePath(path);
    assert.equal(check.ok, false, path);
    assert.match(check.message, /is (your home folder|the root of a disk|a system folder); Dockmirror keeps its cache in a folder of its own/, path);
    await assert.rejects(h.core.changeCachePath(path, 'empty'), /Dockmirror keeps its cache in a folder of its own/);
  }
  const foreign = join(workDir, 'projects');
  await mkdir(join(foreign, 'tmp'), { recursive: true });
  await writeFile(join(foreign, 'tmp', 'build.log'), 'log');
  const refused = await h.core.checkCachePath(foreign);
  assert.equal(refused.ok, false);
  assert.equal(refused.message, `${foreign} holds files that are not a Dockmirror cache (such as tmp/build.log); choose an empty folder, or use ${join(foreign, 'dockmirror-cache')}.`);
  await assert.rejects(h.core.changeCachePath(foreign, 'empty'), /holds files that are not a Dockmirror cache/);
  assert.deepEqual(await readdir(join(foreign, 'tmp')), ['build.log']);
  const offered = await h.core.checkCachePath(join(foreign, 'dockmirror-cache'));
  assert.equal(offered.ok, true, offered.message);
  const underFile = await h.core.checkCachePath(join(foreign, 'tmp', 'build.log', 'cache'));
  assert.equal(underFile.ok, false);
  assert.equal(underFile.message, `${join(foreign, 'tmp', 'build.log')} is a file, so no folder can be made inside it; choose another place.`);

  // A cache another Dockmirror filled: adopted as it is by "start empty", refused as a move target.
  const existing = join(workDir, 'existing-cache');
  const engine = createMirror({ cacheDir: existing, upstream: upstream.url, registryName: 'docker.io', minFreeBytes: 0 });
  const { port } = await engine.start({ host: '127.0.0.1', port: 0 });
  await pull(`http://127.0.0.1:${port}`, big);
  await engine.stop();
  const check = await h.core.checkCachePath(existing);
  assert.equal(check.ok, true);
  assert.equal(check.holdsCache, true);
  assert.match(check.message, /already holds a Dockmirror cache/);
  await assert.rejects(h.core.changeCachePath(existing, 'move'), /already holds a Dockmirror cache; use it as it is/);
  const state = await h.core.changeCachePath(existing, 'empty');
  assert.equal(state.settings.cachePath, existing);
  assert.equal(state.mirror.serving, true);
  assert.ok((await h.core.listCache()).some((r) => r.repository === big.repository));
  const gets = { ...upstream.hub.stats().blobGets };
  await pull(h.base(), big);
  assert.deepEqual(upstream.hub.stats().blobGets, gets, 'the adopted cache was not used');
  assert.ok((await readdir(existing)).includes(markerFileName));
});

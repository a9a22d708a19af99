// The cache folder rules against real folders that hold files Dockmirror never wrote: a home
// folder with ~/tmp, a tmp/ holding someone's files, foreign files beside the records. Dockmirror
// refuses a folder it cannot prove is its own, and in its own folder it deletes only the
// store's names (its temps at start, its blobs and records on clear and delete).
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { createMirror, inspectCacheFolder, type MirrorEngine } from '../../../mirror/index.js';
import { spawnCli, startServeCli } from '../../support/cli-process.js';
import { pushRandomImage, sha256, type PushedImageManifest } from '../../support/images.js';
import { allFiles, blobFiles } from '../../support/store-files.js';
import { startTestUpstream, type TestUpstream } from '../../support/upstream.js';

let upstream: TestUpstream;
let workDir: string;
let image: PushedImageManifest;
let nested: PushedImageManifest;

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'dm-cache-folder-'));
  upstream = await startTestUpstream();
  [image, nested] = await Promise.all([
    pushRandomImage(upstream.registry.url, { repository: 'nest/a', tag: '1', sizeBytes: 64 * 1024 }),
    pushRandomImage(upstream.registry.url, { repository: 'nest/a/b', tag: '1', sizeBytes: 64 * 1024 }),
  ]);
});

after(async () => {
  await upstream?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

async function folder(name: string, files: Record<string, string> = {}): Promise<string> {
  const dir = join(workDir, name);
  await mkdir(dir, { recursive: true });
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

async function startEngine(t: TestContext, cacheDir: string): Promise<{ engine: MirrorEngine; base: string }> {
  const engine = createMirror({ cacheDir, upstream: upstream.url, minFreeBytes: 0 });
  const { port } = await engine.start({ host: '127.0.0.1', port: 0 });
  t.after(() => engine.stop());
  return { engine, base: `http://127.0.0.1:${port}` };
}

async function pull(base: string, pushed: PushedImageManifest): Promise<void> {
  const manifest = await fetch(`${base}/v2/${pushed.repository}/manifests/${pushed.tag}`, { headers: { accept: pushed.mediaType } });
  assert.equal(manifest.status, 200);
  assert.deepEqual(Buffer.from(await manifest.arrayBuffer()), pushed.bytes);
  for (const blob of [pushed.config, ...pushed.layers]) {
    const response = await fetch(`${base}/v2/${pushed.repository}/blobs/${blob.digest}`);
    assert.equal(response.status, 200);
    assert.equal(sha256(Buffer.from(await response.arrayBuffer())), blob.digest);
  }
}

/** Every file under dir with its content, for a before/after comparison. */
async function contents(dir: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const file of (await allFiles(dir)).sort()) result[file.slice(dir.length + 1)] = await readFile(file, 'utf8');
  return result;
}

test('serve --cache on a home folder holding ~/tmp is refused, and ~/tmp/precious.txt is intact', async () => {
  const home = await folder('fakehome', { 'tmp/precious.txt': 'do not lose me', 'notes.md': 'mine' });
  const before = await contents(home);
  const envs: Record<string, string>[] = [{ HOME: home }, {}];
  for (const env of envs) {
    const exit = await spawnCli(['serve', '--listen', '127.0.0.1:0', '--cache', home], { env }).exited;
    assert.equal(exit.code, 1, exit.stdout + exit.stderr);
    const sentence = env.HOME ? /is your home folder; Dockmirror keeps its cache in a folder of its own, such as .*fakehome\/dockmirror-cache/ : /holds files that are not a Dockmirror cache \(such as .*\); choose an empty folder, or use .*fakehome\/dockmirror-cache\./;
    assert.match(exit.stderr, sentence);
    assert.deepEqual(await contents(home), before, 'a file in the refused folder changed');
    assert.deepEqual(await readdir(home), ['notes.md', 'tmp'], 'something was created in the refused folder');
  }
});

test('serve --cache DIR whose tmp/ holds foreign files is refused without a marker, and only its own temps are swept with one', async () => {
  const dir = await folder('foreign-tmp', { 'tmp/precious.txt': 'keep', 'tmp/sub/deeper.txt': 'keep too' });
  const refused = await spawnCli(['serve', '--listen', '127.0.0.1:0', '--cache', dir]).exited;
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /holds files that are not a Dockmirror cache \(such as tmp\/precious\.txt\); choose an empty folder, or use .*foreign-tmp\/dockmirror-cache\./);
  assert.deepEqual(Object.keys(await contents(dir)).sort(), ['tmp/precious.txt', 'tmp/sub/deeper.txt']);

  // The same tmp/ inside a folder the CLI made its own: foreign names survive a start, its own
  // leftovers (a download, a record, a probe) go.
  const cache = join(workDir, 'own-cache');
  const first = await startServeCli(['--cache', cache]);
  first.kill('SIGTERM');
  await first.exited;
  const marker = JSON.parse(await readFile(join(cache, 'dockmirror-cache.json'), 'utf8')) as { layout: number };
  assert.equal(marker.layout, 1);
  const leftovers = ['0123456789abcdef01234567.part', '0123456789abcdef.rec', 'health-0123abcd'];
  for (const name of [...leftovers, 'precious.txt', 'download.part', 'health-check.txt']) await writeFile(join(cache, 'tmp', name), 'x');
  await mkdir(join(cache, 'tmp', 'sub'));
  await writeFile(join(cache, 'tmp', 'sub', '0123456789abcdef01234567.part'), 'inside a folder');
  const second = await startServeCli(['--cache', cache]);
  second.kill('SIGTERM');
  await second.exited;
  assert.deepEqual((await readdir(join(cache, 'tmp'))).sort(), ['download.part', 'health-check.txt', 'precious.txt', 'sub']);
  assert.equal(await readFile(join(cache, 'tmp', 'sub', '0123456789abcdef01234567.part'), 'utf8'), 'inside a folder');
});

test('/, the home folder, a link to it and system folders are refused outright, even empty or marked', async () => {
  const linkToHome = join(workDir, 'link-to-home');
  await symlink(homedir(), linkToHome);
  for (const path of ['/', homedir(), linkToHome, '/etc', '/usr', '/usr/lib/x', '/var', '/proc/self', '/boot', '/tmp', '/home']) {
    const state = await inspectCacheFolder(path);
    assert.equal(state.kind, 'refused', `${path}: ${JSON.stringify(state)}`);
    assert.match(state.kind === 'refused' ? state.message : '', /is (your home folder|the root of a disk|a system folder); Dockmirror keeps its cache in a folder of its own/);
  }
  const engine = createMirror({ cacheDir: homedir(), upstream: upstream.url });
  await assert.rejects(engine.start({ host: '127.0.0.1', port: 0 }), (error: Error & { code?: string }) => error.code === 'cache-folder-refused' && /your home folder/.test(error.message));
  assert.deepEqual((await inspectCacheFolder(join(workDir, 'not-there'))).kind, 'absent');
});

test('a cache from before the marker is adopted when only the store layout is inside, and refused with one foreign file', async (t) => {
  const cache = join(workDir, 'legacy');
  const filler = await startEngine(t, cache);
  await pull(filler.base, image);
  await filler.engine.stop();
  await rm(join(cache, 'dockmirror-cache.json'));
  const stored = await contents(cache);

  const foreign = join(cache, 'registries', 'notes.txt');
  await writeFile(foreign, 'mine');
  const refusing = createMirror({ cacheDir: cache, upstream: upstream.url });
  await assert.rejects(refusing.start({ host: '127.0.0.1', port: 0 }), /holds files that are not a Dockmirror cache \(such as registries\/notes\.txt\)/);
  assert.deepEqual(await contents(cache), { ...stored, 'registries/notes.txt': 'mine' }, 'the refused cache changed');
  await rm(foreign);

  const { engine, base } = await startEngine(t, cache);
  const requests = upstream.hub.stats().requests.length;
  for (const blob of [image.config, ...image.layers]) {
    const response = await fetch(`${base}/v2/${image.repository}/blobs/${blob.digest}`);
    assert.equal(sha256(Buffer.from(await response.arrayBuffer())), blob.digest);
  }
  assert.equal(upstream.hub.stats().requests.length, requests, 'the adopted cache served its blobs itself');
  assert.equal((await engine.listCache()).length, 1);
  assert.equal(JSON.parse(await readFile(join(cache, 'dockmirror-cache.json'), 'utf8')).layout, 1, 'adopted: the marker was written');
});

test('clear cache and deleting an image remove only the store files; foreign files and a nested repository stay', async (t) => {
  const cache = join(workDir, 'clear');
  const { engine, base } = await startEngine(t, cache);
  await pull(base, image);
  await pull(base, nested);
  const [registry] = (await engine.listCache()).map((r) => r.registry);
  const repoDir = join(cache, 'registries', registry!, 'nest', 'a');
  const foreign: Record<string, string> = {
    'notes.txt': 'root',
    'blobs/README': 'in blobs',
    'manifests/sha256/mine.json': 'in manifests',
    [`registries/${registry}/nest/a/_tags/notes.txt`]: 'beside the tags',
    'registries/other/readme.md': 'another tree',
  };
  for (const [path, text] of Object.entries(foreign)) {
    await mkdir(join(cache, path, '..'), { recursive: true });
    await writeFile(join(cache, path), text);
  }

  await engine.deleteImage(registry!, 'nest/a');
  assert.deepEqual((await engine.listCache()).map((r) => r.repository), ['nest/a/b'], 'deleting nest/a took its nested repository');
  assert.equal((await lstat(join(repoDir, 'b', '_tags', '1.json'))).isFile(), true);
  await pull(base, nested);

  await engine.clearCache();
  assert.deepEqual(await engine.listCache(), []);
  assert.deepEqual(await blobFiles(cache), []);
  const left = await contents(cache);
  for (const [path, text] of Object.entries(foreign)) assert.equal(left[path], text, `${path} was deleted or changed`);
  assert.deepEqual(Object.keys(left).filter((path) => !(path in foreign)).sort(), ['dockmirror-cache.json'], 'a store file survived the clear');
  await pull(base, image);
});

test('deleteImage with traversal names is refused and reaches nothing outside the cache', async (t) => {
  const cache = join(workDir, 'traversal', 'cache');
  const victim = await folder('traversal/x', { 'keep.txt': 'keep' });
  await folder('traversal/cache-sibling', { 'keep.txt': 'keep' });
  const { engine } = await startEngine(t, cache);
  const attempts: [string, string, string?][] = [['..', '../x'], ['..', '..'], ['../..', 'traversal/x'], ['.', 'x'], ['docker.io', '../../../x'], ['docker.io', 'a/../../x'], ['docker.io', 'library/x', '../../x'], ['docker.io', '/abs'], ['', 'x']];
  for (const [registry, repository, reference] of attempts) {
    await assert.rejects(engine.deleteImage(registry, repository, reference), /invalid|resolve inside/, JSON.stringify([registry, repository, reference]));
  }
  assert.equal(await readFile(join(victim, 'keep.txt'), 'utf8'), 'keep');
  assert.equal(await readFile(join(workDir, 'traversal', 'cache-sibling', 'keep.txt'), 'utf8'), 'keep');
});

// The cache on a real small disk (tmpfs): full, read-only, and nearly full under the free-space
// floor. Pulls must keep succeeding byte-exact by streaming straight through, nothing partial
// may enter the store, and the engine's status and /healthz must say why caching stopped.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { createMirror, type HealthProblemCode, type MirrorEngine, type MirrorOptions } from '../../../mirror/index.js';
import { runChecked, runCommand, unmountUnder } from '../../support/clients/process.js';
import { pushRandomImage, sha256, type PushedImageManifest } from '../../support/images.js';
import { blobFiles, mismatchedBlobFiles, tempFiles } from '../../support/store-files.js';
import { startTestUpstream, type TestUpstream } from '../../support/upstream.js';

const MiB = 1024 * 1024;
let upstream: TestUpstream;
let workDir: string;
let huge: PushedImageManifest;
let mid: PushedImageManifest[];

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'dockmirror-disk-'));
  upstream = await startTestUpstream();
  [huge, ...mid] = await Promise.all([
    pushRandomImage(upstream.registry.url, { repository: 'dockmirror/disk-huge', tag: '1', sizeBytes: 6 * MiB }),
    pushRandomImage(upstream.registry.url, { repository: 'dockmirror/disk-a', tag: '1', sizeBytes: MiB }),
    pushRandomImage(upstream.registry.url, { repository: 'dockmirror/disk-b', tag: '1', sizeBytes: MiB }),
  ]);
});

after(async () => {
  // Unmounted even when a test failed half way, or the temp folder could never be removed.
  if (workDir) {
    await unmountUnder(workDir);
    await rm(workDir, { recursive: true, force: true });
  }
  await upstream?.close();
});

async function tmpfs(name: string, size: string): Promise<string> {
  const dir = join(workDir, name);
  await mkdir(dir, { recursive: true });
  // Unmounted by the file's after(), once every mirror of the test has stopped using it.
  await runChecked('/usr/bin/mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir]);
  return dir;
}

/** The kernel refuses (busy) while a file on the disk is open for writing, e.g. a record the engine is still writing. */
async function remountReadOnly(dir: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const result = await runCommand('/usr/bin/mount', ['-o', 'remount,ro', dir]);
    if (result.ok) return;
    if (attempt === 40) assert.fail(`could not remount ${dir} read-only: ${result.output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function startMirror(t: TestContext, cacheDir: string, options: Partial<MirrorOptions> = {}): Promise<{ engine: MirrorEngine; base: string }> {
  const engine = createMirror({ cacheDir, upstream: upstream.url, minFreeBytes: 0, ...options });
  const { port } = await engine.start({ host: '127.0.0.1', port: 0 });
  t.after(() => engine.stop());
  return { engine, base: `http://127.0.0.1:${port}` };
}

async function pullBlob(base: string, repository: string, digest: string): Promise<string> {
  const response = await fetch(`${base}/v2/${repository}/blobs/${digest}`);
  assert.equal(response.status, 200, `blob ${digest} answered ${response.status}: ${response.status === 200 ? '' : await response.text()}`);
  return sha256(Buffer.from(await response.arrayBuffer()));
}

async function health(base: string): Promise<{ status: number; codes: HealthProblemCode[]; messages: string[] }> {
  const response = await fetch(`${base}/healthz`);
  const body = (await response.json()) as { problems: { code: HealthProblemCode; message: string }[] };
  return { status: response.status, codes: body.problems.map((p) => p.code), messages: body.problems.map((p) => p.message) };
}

function problem(engine: MirrorEngine, code: HealthProblemCode): string | undefined {
  return engine.status().problems.find((p) => p.code === code)?.message;
}

test('a disk smaller than the blob (ENOSPC): two clients still get it byte-exact, nothing partial is stored, health says disk-full', async (t) => {
  const cacheDir = await tmpfs('full', '4m');
  const { engine, base } = await startMirror(t, cacheDir);
  const layer = huge.layers[0]!;
  assert.ok(layer.size > (await statfs(cacheDir)).bavail * (await statfs(cacheDir)).bsize, 'the blob is bigger than the disk');
  const pulls = await Promise.all([1, 2].map(() => pullBlob(base, huge.repository, layer.digest)));
  assert.deepEqual(pulls, [layer.digest, layer.digest]);
  assert.match(problem(engine, 'disk-full') ?? '', /disk is full \(ENOSPC\).*stream straight through/);
  const report = await health(base);
  assert.equal(report.status, 503);
  assert.ok(report.codes.includes('disk-full'), `healthz: ${JSON.stringify(report)}`);
  assert.ok(!(await blobFiles(cacheDir)).some((f) => f.digest === layer.digest), 'the blob was not stored');
  assert.deepEqual(await tempFiles(cacheDir), [], 'the partial download was removed');
  assert.deepEqual(await mismatchedBlobFiles(cacheDir), []);
  // While caching is paused a pull streams straight through.
  assert.equal(await pullBlob(base, huge.repository, layer.digest), layer.digest);
});

test('a cache disk that turns read-only: uncached blobs stream through, cached ones are served, health says cache-not-writable', async (t) => {
  const cacheDir = await tmpfs('readonly', '16m');
  const { engine, base } = await startMirror(t, cacheDir);
  const [cached, uncached] = mid as [PushedImageManifest, PushedImageManifest];
  assert.equal(await pullBlob(base, cached.repository, cached.layers[0]!.digest), cached.layers[0]!.digest);
  await remountReadOnly(cacheDir);
  assert.equal(await pullBlob(base, uncached.repository, uncached.layers[0]!.digest), uncached.layers[0]!.digest);
  const manifest = await fetch(`${base}/v2/${uncached.repository}/manifests/${uncached.tag}`);
  assert.equal(manifest.status, 200);
  assert.deepEqual(Buffer.from(await manifest.arrayBuffer()), uncached.bytes);
  assert.equal(await pullBlob(base, cached.repository, cached.layers[0]!.digest), cached.layers[0]!.digest, 'the cached blob is still served');
  assert.equal(await pullBlob(base, uncached.repository, uncached.layers[0]!.digest), uncached.layers[0]!.digest, 'and again while caching is paused');
  const report = await health(base);
  assert.equal(report.status, 503);
  assert.ok(report.codes.includes('cache-not-writable'), `healthz: ${JSON.stringify(report)}`);
  assert.match(problem(engine, 'cache-not-writable') ?? '', /cannot be written \(EROFS\)/);
  assert.deepEqual((await blobFiles(cacheDir)).map((f) => f.digest), [cached.layers[0]!.digest]);
});

test('a cache folder that is read-only from the start (read-only bind mount): what it holds is served, the rest streams through', async (t) => {
  const [cachedImage, uncached] = mid as [PushedImageManifest, PushedImageManifest];
  const source = join(workDir, 'ro-source');
  const filler = await startMirror(t, source);
  assert.deepEqual(Buffer.from(await (await fetch(`${filler.base}/v2/${cachedImage.repository}/manifests/${cachedImage.tag}`)).arrayBuffer()), cachedImage.bytes);
  assert.equal(await pullBlob(filler.base, cachedImage.repository, cachedImage.layers[0]!.digest), cachedImage.layers[0]!.digest);
  await filler.engine.stop();
  const filled = await blobFiles(source);

  const cacheDir = join(workDir, 'ro-view');
  await mkdir(cacheDir);
  await runChecked('/usr/bin/mount', ['--bind', source, cacheDir]);
  await runChecked('/usr/bin/mount', ['-o', 'remount,bind,ro', cacheDir]);
  const { engine, base } = await startMirror(t, cacheDir);
  assert.match(problem(engine, 'cache-not-writable') ?? '', /cannot be written \(EROFS\)/, 'known from the start');
  const requestsBefore = upstream.hub.stats().requests.length;
  const manifest = await fetch(`${base}/v2/${cachedImage.repository}/manifests/${cachedImage.tag}`);
  assert.deepEqual(Buffer.from(await manifest.arrayBuffer()), cachedImage.bytes);
  assert.equal(await pullBlob(base, cachedImage.repository, cachedImage.layers[0]!.digest), cachedImage.layers[0]!.digest);
  assert.equal(upstream.hub.stats().requests.length, requestsBefore, 'the cached image came from the read-only cache alone');
  assert.equal(await pullBlob(base, uncached.repository, uncached.layers[0]!.digest), uncached.layers[0]!.digest, 'an uncached blob streams through');
  const report = await health(base);
  assert.equal(report.status, 503);
  assert.ok(report.codes.includes('cache-not-writable'), `healthz: ${JSON.stringify(report)}`);
  assert.deepEqual(await blobFiles(source), filled, 'nothing was written');
});

test('the free-space floor stops caching before the disk is full; pulls then stream through', async (t) => {
  const cacheDir = await tmpfs('floor', '8m');
  const floor = 5_000_000;
  const { engine, base } = await startMirror(t, cacheDir, { minFreeBytes: floor });
  const [first, second] = mid as [PushedImageManifest, PushedImageManifest];
  assert.equal(await pullBlob(base, first.repository, first.layers[0]!.digest), first.layers[0]!.digest);
  assert.ok((await blobFiles(cacheDir)).some((f) => f.digest === first.layers[0]!.digest), 'cached while above the floor');
  // Somebody else's file eats the space down to under the floor, far from full.
  await writeFile(join(cacheDir, 'other-data.bin'), Buffer.alloc(3 * MiB, 1));
  // The engine asks the disk at most every 5 s.
  await new Promise((resolve) => setTimeout(resolve, 5_200));
  assert.equal(await pullBlob(base, second.repository, second.layers[0]!.digest), second.layers[0]!.digest);
  assert.ok(!(await blobFiles(cacheDir)).some((f) => f.digest === second.layers[0]!.digest), 'not cached under the floor');
  const space = await statfs(cacheDir);
  assert.ok(space.bavail * space.bsize > 2 * second.layers[0]!.size, 'the disk still had room: the floor stopped caching, not ENOSPC');
  assert.match(problem(engine, 'disk-full') ?? '', /Caching stopped: only .* is free on the cache disk \(the floor is 5\.0 MB\)/);
  const report = await health(base);
  assert.equal(report.status, 503);
  assert.ok(report.codes.includes('disk-full'));
});

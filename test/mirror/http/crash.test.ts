// `kill -9` of the real `dockmirror serve` process while blob downloads are half done, then a
// restart on the same cache folder. Nothing partial may be visible in the store, the leftovers in
// tmp/ must be swept, the tag records must still parse, and the same pulls must then succeed.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startServeCli, type ServingCli } from '../../support/cli-process.js';
import { pushRandomImage, sha256, type PushedImageManifest } from '../../support/images.js';
import { blobFiles, mismatchedBlobFiles, tempFiles } from '../../support/store-files.js';
import { startTestUpstream, type TestUpstream } from '../../support/upstream.js';

let upstream: TestUpstream;
let big: PushedImageManifest[];
let cacheDir: string;
const running = new Set<ServingCli>();

before(async () => {
  upstream = await startTestUpstream();
  big = await Promise.all(
    ['crash-a', 'crash-b', 'crash-c'].map((name, i) => pushRandomImage(upstream.registry.url, { repository: `dockmirror/${name}`, tag: '1', sizeBytes: 1_500_000 + i * 100_000 })),
  );
  cacheDir = await mkdtemp(join(tmpdir(), 'dockmirror-crash-'));
});

after(async () => {
  for (const cli of running) cli.kill('SIGKILL');
  await upstream?.close();
  if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
});

async function serve(): Promise<ServingCli> {
  const cli = await startServeCli(['--cache', cacheDir, '--upstream', upstream.url, '--log-level', 'warn']);
  running.add(cli);
  void cli.exited.then(() => running.delete(cli));
  return cli;
}

async function bytes(url: string, init?: RequestInit): Promise<Buffer> {
  const response = await fetch(url, init);
  assert.equal(response.status, 200, `${url} answered ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
}

async function waitFor(check: () => Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function tagRecordPath(image: PushedImageManifest): string {
  // Records live under the name clients use for the registry, whatever its upstream URL.
  return join(cacheDir, 'registries', 'docker.io', ...image.repository.split('/'), '_tags', `${image.tag}.json`);
}

test('kill -9 with three downloads half done: no partial blob in the store, tmp swept on restart, records intact, pulls then succeed', async () => {
  const small = upstream.images.alpine;
  const first = await serve();
  // Complete work before the crash: tag records and whole blobs that must survive it.
  for (const image of [small, ...big]) {
    assert.deepEqual(await bytes(`${first.base}/v2/${image.repository}/manifests/${image.tag}`, { headers: { accept: image.mediaType } }), image.bytes);
    assert.equal(sha256(await bytes(`${first.base}/v2/${image.repository}/blobs/${image.config.digest}`)), image.config.digest);
  }
  for (const layer of small.layers) assert.equal(sha256(await bytes(`${first.base}/v2/${small.repository}/blobs/${layer.digest}`)), layer.digest);

  // Each big layer's upstream sends half its bytes, then goes silent: three downloads in flight.
  const layers = big.map((image) => ({ image, layer: image.layers[0]! }));
  for (const { layer } of layers) upstream.hub.injectBlobFault(layer.digest, { kind: 'hold', afterBytes: Math.floor(layer.size / 2) }, 1);
  const clients = layers.map(async ({ image, layer }) => {
    try {
      const response = await fetch(`${first.base}/v2/${image.repository}/blobs/${layer.digest}`);
      return `${response.status}, ${Buffer.from(await response.arrayBuffer()).length} of ${layer.size} bytes`;
    } catch {
      return 'cut off';
    }
  });
  const halfway = Math.min(...layers.map(({ layer }) => Math.floor(layer.size / 2)));
  await waitFor(async () => (await tempFiles(cacheDir)).filter((f) => f.name.endsWith('.part') && f.size >= halfway).length === 3, 'three half-written downloads');

  first.kill('SIGKILL');
  const crashed = await first.exited;
  assert.equal(crashed.signal, 'SIGKILL');
  assert.deepEqual(await Promise.all(clients), ['cut off', 'cut off', 'cut off'], 'no client saw a complete-looking transfer');

  assert.equal((await tempFiles(cacheDir)).filter((f) => f.name.endsWith('.part')).length, 3, 'the crash left its partial downloads in tmp/');
  assert.deepEqual(await mismatchedBlobFiles(cacheDir), [], 'every stored blob hashes to its name');
  const stored = new Set((await blobFiles(cacheDir)).map((f) => f.digest));
  for (const { layer } of layers) assert.ok(!stored.has(layer.digest), `the half-downloaded ${layer.digest} is not in the store`);
  for (const image of [small, ...big]) {
    assert.ok(stored.has(image.config.digest), 'completed blobs survived the crash');
    const record = JSON.parse(await readFile(tagRecordPath(image), 'utf8')) as { digest: string; size: number };
    assert.equal(record.digest, image.digest);
    assert.equal(record.size, image.size);
  }

  const second = await serve();
  assert.deepEqual(await tempFiles(cacheDir), [], 'the restart swept tmp/');
  const gets = () => upstream.hub.stats().manifestGets;
  const manifestGetsBefore = gets();
  for (const image of [small, ...big]) {
    assert.deepEqual(await bytes(`${second.base}/v2/${image.repository}/manifests/${image.tag}`, { headers: { accept: image.mediaType } }), image.bytes);
    for (const blob of [image.config, ...image.layers]) {
      assert.equal(sha256(await bytes(`${second.base}/v2/${image.repository}/blobs/${blob.digest}`)), blob.digest);
    }
  }
  assert.deepEqual(gets(), manifestGetsBefore, 'tags came from the records the crash left intact');
  assert.deepEqual(await mismatchedBlobFiles(cacheDir), []);
  const storedNow = new Set((await blobFiles(cacheDir)).map((f) => f.digest));
  for (const { layer } of layers) assert.ok(storedNow.has(layer.digest), 'the interrupted downloads are stored once done');

  second.kill('SIGTERM');
  const stopped = await second.exited;
  assert.equal(stopped.code, 0, stopped.stderr);
});

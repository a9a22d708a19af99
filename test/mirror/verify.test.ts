// `dockmirror verify` as a person runs it, on a real store the engine filled: one blob corrupted
// in place, one truncated. It must name and remove exactly those, keep every intact blob, say so
// in its exit code, and leave a store the mirror then serves byte-exact again.
import assert from 'node:assert/strict';
import { access, mkdtemp, open, readFile, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createMirror } from '../../mirror/index.js';
import { spawnCli } from '../support/cli-process.js';
import { sha256 } from '../support/images.js';
import { blobFiles, mismatchedBlobFiles } from '../support/store-files.js';
import { startTestUpstream, type TestUpstream } from '../support/upstream.js';

let upstream: TestUpstream;
let workDir: string;

before(async () => {
  upstream = await startTestUpstream();
  workDir = await mkdtemp(join(tmpdir(), 'dockmirror-verify-'));
});

after(async () => {
  await upstream?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

async function withMirror(cacheDir: string, work: (base: string) => Promise<void>): Promise<void> {
  const engine = createMirror({ cacheDir, upstream: upstream.url, minFreeBytes: 0 });
  const { port } = await engine.start({ host: '127.0.0.1', port: 0 });
  try {
    await work(`http://127.0.0.1:${port}`);
  } finally {
    await engine.stop();
  }
}

async function body(url: string): Promise<Buffer> {
  const response = await fetch(url);
  assert.equal(response.status, 200, url);
  return Buffer.from(await response.arrayBuffer());
}

test('verify removes exactly the corrupted and the truncated blob, keeps the rest, and exits 1; then 0', async () => {
  const cacheDir = join(workDir, 'cache');
  const { alpine, sharedA } = upstream.images;
  await withMirror(cacheDir, async (base) => {
    for (const image of [alpine, sharedA]) {
      await body(`${base}/v2/${image.repository}/manifests/${image.tag}`);
      for (const blob of [image.config, ...image.layers]) await body(`${base}/v2/${image.repository}/blobs/${blob.digest}`);
    }
  });
  const stored = await blobFiles(cacheDir);
  const corrupted = stored.find((f) => f.digest === alpine.layers[0]!.digest)!;
  const truncated = stored.find((f) => f.digest === sharedA.digest)!;
  assert.ok(corrupted && truncated, 'both victims are stored');
  // Same size, one byte flipped: only a re-hash notices.
  const file = await open(corrupted.path, 'r+');
  const byte = Buffer.alloc(1);
  await file.read(byte, 0, 1, 20);
  await file.write(Buffer.from([byte[0]! ^ 0xff]), 0, 1, 20);
  await file.close();
  await truncate(truncated.path, Math.floor(truncated.size / 2));
  const intact = stored.filter((f) => f !== corrupted && f !== truncated);
  const intactBytes = await Promise.all(intact.map((f) => readFile(f.path)));

  const run = spawnCli(['verify', '--cache', cacheDir]);
  const result = await run.exited;
  assert.equal(result.code, 1, `exit code 1 says damage was found\n${result.stdout}${result.stderr}`);
  assert.equal(result.stderr, '');
  const lines = result.stdout.trim().split('\n');
  assert.equal(lines[0], `Checked ${stored.length} blobs: 2 did not match their digest and were removed; the mirror fetches them again when asked.`);
  assert.deepEqual(
    lines.slice(1).map((line) => /^ {2}removed (sha256:[a-f0-9]{64}) \(found .+ that hash to sha256:[a-f0-9]{64}\)$/.exec(line)?.[1]).sort(),
    [corrupted.digest, truncated.digest].sort(),
  );

  const left = await blobFiles(cacheDir);
  assert.deepEqual(left.map((f) => f.digest), intact.map((f) => f.digest), 'exactly the two damaged blobs are gone');
  assert.deepEqual(await Promise.all(left.map((f) => readFile(f.path))), intactBytes, 'intact blobs are untouched');
  assert.deepEqual(await mismatchedBlobFiles(cacheDir), []);

  const again = await spawnCli(['verify', '--cache', cacheDir]).exited;
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.equal(again.stdout, `Checked ${intact.length} blobs: every one matches its digest.\n`);

  // The mirror fetches what verify removed and serves every byte right again.
  await withMirror(cacheDir, async (base) => {
    assert.deepEqual(await body(`${base}/v2/${sharedA.repository}/manifests/${sharedA.tag}`), sharedA.bytes);
    assert.equal(sha256(await body(`${base}/v2/${alpine.repository}/blobs/${alpine.layers[0]!.digest}`)), alpine.layers[0]!.digest);
  });
  assert.deepEqual(await mismatchedBlobFiles(cacheDir), []);
});

test('verify of a folder that does not exist says so in one sentence and creates nothing', async () => {
  const missing = join(workDir, 'no-such-cache');
  const result = await spawnCli(['verify', '--cache', missing]).exited;
  assert.equal(result.code, 1);
  assert.equal(result.stderr, `dockmirror: There is no cache folder at ${missing}.\n`);
  await assert.rejects(access(missing), { code: 'ENOENT' });
});

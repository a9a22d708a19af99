// Eviction under load: a small size cap, several clients pulling different blobs at once, and one
// client reading a cached blob very slowly. The cache must end under the cap, every pull must be
// byte-exact, and the blob being read must stay in the store until its reader is done.
import assert from 'node:assert/strict';
import { get, type IncomingMessage } from 'node:http';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createMirror, type MirrorEngine } from '../../../mirror/index.js';
import { pushRandomImage, sha256, type PushedImageManifest } from '../../support/images.js';
import { blobFiles, mismatchedBlobFiles } from '../../support/store-files.js';
import { startTestUpstream, type TestUpstream } from '../../support/upstream.js';

const MiB = 1024 * 1024;
let upstream: TestUpstream;
let slowImage: PushedImageManifest;
let others: PushedImageManifest[];
let cacheDir: string;
let mirror: MirrorEngine;
let base: string;

before(async () => {
  upstream = await startTestUpstream();
  [slowImage, ...others] = await Promise.all([
    pushRandomImage(upstream.registry.url, { repository: 'dockmirror/evict-slow', tag: '1', sizeBytes: 6 * MiB }),
    ...['a', 'b', 'c', 'd'].map((name) => pushRandomImage(upstream.registry.url, { repository: `dockmirror/evict-${name}`, tag: '1', sizeBytes: 1.5 * MiB })),
  ]);
  cacheDir = await mkdtemp(join(tmpdir(), 'dockmirror-evict-'));
  mirror = createMirror({ cacheDir, upstream: upstream.url, minFreeBytes: 0, maxSizeBytes: 8 * MiB });
  base = `http://127.0.0.1:${(await mirror.start({ host: '127.0.0.1', port: 0 })).port}`;
});

after(async () => {
  await mirror?.stop();
  await upstream?.close();
  if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
});

async function pull(image: PushedImageManifest): Promise<string> {
  const response = await fetch(`${base}/v2/${image.repository}/blobs/${image.layers[0]!.digest}`);
  assert.equal(response.status, 200);
  return sha256(Buffer.from(await response.arrayBuffer()));
}

/** A client that takes one chunk every `pauseMs`, keeping the mirror's answer in flight. */
function slowRead(url: string, pauseMs: number): { received: () => number; done: Promise<Buffer> } {
  let received = 0;
  const done = new Promise<Buffer>((resolve, reject) => {
    get(url, async (response: IncomingMessage) => {
      try {
        assert.equal(response.statusCode, 200);
        const chunks: Buffer[] = [];
        for await (const chunk of response) {
          chunks.push(chunk as Buffer);
          received += (chunk as Buffer).length;
          await new Promise((wait) => setTimeout(wait, pauseMs));
        }
        resolve(Buffer.concat(chunks));
      } catch (error) {
        reject(error as Error);
      }
    }).on('error', reject);
  });
  return { received: () => received, done };
}

async function diskBytes(): Promise<number> {
  return (await blobFiles(cacheDir)).reduce((sum, file) => sum + file.size, 0);
}

test('under an 8 MiB cap, four concurrent pulls evict around a slow reader without deleting its blob', async () => {
  const cap = 8 * MiB;
  const slowLayer = slowImage.layers[0]!;
  const [first, ...concurrent] = others as [PushedImageManifest, ...PushedImageManifest[]];
  // The slow reader's blob is cached first, so it is the least recently used: the first to go.
  assert.equal(await pull(slowImage), slowLayer.digest);
  assert.equal(await pull(first), first.layers[0]!.digest);
  const slowPath = (await blobFiles(cacheDir)).find((f) => f.digest === slowLayer.digest)!.path;

  const reader = slowRead(`${base}/v2/${slowImage.repository}/blobs/${slowLayer.digest}`, 40);
  while (reader.received() === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  const pulls = await Promise.all(concurrent.map(pull));
  assert.deepEqual(pulls, concurrent.map((image) => image.layers[0]!.digest));

  const deadline = Date.now() + 5_000;
  while (mirror.status().cache.bytes > cap && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(reader.received() < slowLayer.size, 'the slow reader was still reading while the cache was evicted');
  assert.ok(mirror.status().cache.bytes <= cap, `the cache holds ${mirror.status().cache.bytes} bytes, over the cap`);
  assert.ok((await diskBytes()) <= cap, 'the files on disk are under the cap too');
  const kept = new Set((await blobFiles(cacheDir)).map((f) => f.digest));
  assert.ok(!kept.has(first.layers[0]!.digest), 'eviction ran: the unpinned least recently used blob is gone');
  assert.ok(kept.has(slowLayer.digest), "the slow reader's blob is still in the store");
  assert.equal((await stat(slowPath)).size, slowLayer.size);

  assert.equal(sha256(await reader.done), slowLayer.digest, 'the slow reader got the whole blob');
  assert.deepEqual(await mismatchedBlobFiles(cacheDir), []);
  // Once read, it may go like any other blob; the next store makes room again.
  assert.equal(await pull(first), first.layers[0]!.digest);
  const settle = Date.now() + 5_000;
  while ((await diskBytes()) > cap && Date.now() < settle) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok((await diskBytes()) <= cap);
});

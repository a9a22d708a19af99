// Pulls through a mirror the way a client does (manifest by tag, then every blob), for the
// keep-warm, pin and expiry tests; and waiting for the engine's background work to settle.
import assert from 'node:assert/strict';
import { blobsOf, sha256, type PushedImageManifest } from '../../support/images.js';
import { blobFiles } from '../../support/store-files.js';

export async function pullImage(base: string, image: PushedImageManifest): Promise<void> {
  const manifest = await fetch(`${base}/v2/${image.repository}/manifests/${image.tag}`, { headers: { accept: image.mediaType } });
  assert.equal(manifest.status, 200, `manifest of ${image.repository}:${image.tag}`);
  await manifest.arrayBuffer();
  for (const blob of blobsOf(image)) {
    const response = await fetch(`${base}/v2/${image.repository}/blobs/${blob.digest}`);
    assert.equal(response.status, 200);
    assert.equal(sha256(Buffer.from(await response.arrayBuffer())), blob.digest, 'the client got the exact blob');
  }
}

export async function storedDigests(cacheDir: string): Promise<Set<string>> {
  return new Set((await blobFiles(cacheDir)).map((file) => file.digest));
}

/** Polls until `done` holds: eviction runs in the background after each stored blob. */
export async function settle(done: () => Promise<boolean> | boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

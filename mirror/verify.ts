// `dockmirror verify`: re-hashes every stored blob and removes the ones whose content no
// longer matches their digest (disk corruption, edits by hand), so they are fetched again.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { BlobStore } from './store/blob-store.js';
import { StorePaths } from './store/paths.js';

export interface VerifyReport {
  checked: number;
  removed: string[];
}

export async function verifyStore(cacheDir: string): Promise<VerifyReport> {
  const store = new BlobStore(new StorePaths(cacheDir));
  await store.open({ sweepTemp: false });
  const removed: string[] = [];
  const digests = store.digests();
  for (const digest of digests) {
    const hash = createHash('sha256');
    await pipeline(createReadStream(store.pathOf(digest)), hash);
    if (`sha256:${hash.digest('hex')}` !== digest) {
      await store.delete(digest);
      removed.push(digest);
    }
  }
  return { checked: digests.length, removed };
}

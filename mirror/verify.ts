// `dockmirror verify`: re-hashes every stored blob and removes the ones whose content no
// longer matches their digest (disk corruption, edits by hand), so they are fetched again.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { formatBytes } from './byte-size.js';
import { BlobStore } from './store/blob-store.js';
import { StorePaths } from './store/paths.js';

export interface RemovedBlob {
  digest: string;
  /** What was found instead, for people: the size and the digest of the bytes on disk. */
  found: string;
}

export interface VerifyReport {
  checked: number;
  removed: RemovedBlob[];
}

export async function verifyStore(cacheDir: string): Promise<VerifyReport> {
  const store = new BlobStore(new StorePaths(cacheDir));
  await store.open({ sweepTemp: false });
  const removed: RemovedBlob[] = [];
  let checked = 0;
  for (const digest of store.digests()) {
    const hash = createHash('sha256');
    let size = 0;
    const file = createReadStream(store.pathOf(digest)).on('data', (chunk) => (size += chunk.length));
    // A mirror running beside us may evict a blob while we read it; that is not damage.
    const read = await pipeline(file, hash).then(() => true, (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw error;
    });
    if (!read) continue;
    checked++;
    const actual = `sha256:${hash.digest('hex')}`;
    if (actual !== digest) {
      await store.delete(digest);
      removed.push({ digest, found: `${formatBytes(size)} that hash to ${actual}` });
    }
  }
  return { checked, removed };
}

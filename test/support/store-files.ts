// What a mirror's cache folder holds on disk, read straight from the filesystem so tests judge
// the store by its files and not by what the engine believes.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

export interface BlobFile {
  /** The digest the file is named by. */
  digest: string;
  path: string;
  size: number;
}

export async function blobFiles(cacheDir: string): Promise<BlobFile[]> {
  const root = join(cacheDir, 'blobs', 'sha256');
  const found: BlobFile[] = [];
  for (const prefix of await readdir(root).catch(() => [] as string[])) {
    for (const hex of await readdir(join(root, prefix)).catch(() => [] as string[])) {
      const path = join(root, prefix, hex);
      // Eviction may delete a file between the listing and its stat: it is then not held.
      const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return null;
        throw error;
      });
      if (info) found.push({ digest: `sha256:${hex}`, path, size: info.size });
    }
  }
  return found.sort((a, b) => a.digest.localeCompare(b.digest));
}

export async function fileDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return `sha256:${hash.digest('hex')}`;
}

/** Blob files whose bytes do not hash to their name, each as "name: actual digest". */
export async function mismatchedBlobFiles(cacheDir: string): Promise<string[]> {
  const wrong: string[] = [];
  for (const file of await blobFiles(cacheDir)) {
    const actual = await fileDigest(file.path);
    if (actual !== file.digest) wrong.push(`${file.digest}: holds ${actual} (${file.size} bytes)`);
  }
  return wrong;
}

/** Files in tmp/ (downloads in progress), with their sizes. */
export async function tempFiles(cacheDir: string): Promise<{ name: string; size: number }[]> {
  const dir = join(cacheDir, 'tmp');
  const names = await readdir(dir).catch(() => [] as string[]);
  return Promise.all(names.map(async (name) => ({ name, size: (await stat(join(dir, name)).catch(() => ({ size: -1 }))).size })));
}

/** Every regular file under `dir`, recursively. */
export async function allFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

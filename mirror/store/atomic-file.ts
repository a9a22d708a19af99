// Writes that never leave a half-written file behind: a crash or a full disk during the write
// leaves the old content (or nothing), because the new content only appears by rename.
// The temp name comes from StorePaths, so the sweep at start knows it as the engine's own.
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { StorePaths } from './paths.js';

export async function writeFileAtomic(path: string, data: string | Uint8Array, paths: StorePaths): Promise<void> {
  const temp = paths.tempFile('rec');
  try {
    await writeFile(temp, data);
    await mkdir(dirname(path), { recursive: true });
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

// Writes that never leave a half-written file behind: a crash or a full disk during the write
// leaves the old content (or nothing), because the new content only appears by rename.
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export async function writeFileAtomic(path: string, data: string | Uint8Array, tmpDir: string): Promise<void> {
  const temp = join(tmpDir, `${randomBytes(8).toString('hex')}.rec`);
  try {
    await writeFile(temp, data);
    await mkdir(dirname(path), { recursive: true });
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

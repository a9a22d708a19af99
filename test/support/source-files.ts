// The repository's TypeScript sources as text, for tests that hold the tree to a rule (what
// mirror/ may import, which error codes main/ throws). Read from the checkout, not from dist/.
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** The checkout's root, from a compiled test anywhere under dist/test/. */
export const repoRoot = resolve(import.meta.dirname, '..', '..', '..');

/** Every .ts and .cts file under `folder` (relative to the root), as absolute paths. */
export async function sourceFiles(folder: string): Promise<string[]> {
  const walk = async (dir: string): Promise<string[]> => {
    const files: string[] = [];
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) files.push(...(await walk(path)));
      else if (/\.c?ts$/.test(entry.name)) files.push(path);
    }
    return files;
  };
  return walk(join(repoRoot, folder));
}

export async function sourcesWithText(folder: string): Promise<{ file: string; text: string }[]> {
  return Promise.all((await sourceFiles(folder)).map(async (file) => ({ file, text: await readFile(file, 'utf8') })));
}

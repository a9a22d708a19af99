// Whether a folder may be the cache, decided before anything in it is touched. Dockmirror only
// ever deletes what it can prove it wrote, so it needs a folder it can prove is its own: one it
// created (marked with dockmirror-cache.json), an empty one, or an older unmarked cache whose every
// file has a name from the store's layout. Anything else is refused with a sentence that says why.
import { lstat, mkdir, readdir, readFile, realpath, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join, parse, resolve, sep } from 'node:path';
import { scanStore } from './own-files.js';
import { layoutNames, markerFileName, storeLayoutVersion, StorePaths } from './paths.js';

/** A folder that may not be the cache; `code` is stable for programs, the message for people. */
export class CacheFolderRefused extends Error {
  readonly code = 'cache-folder-refused';
}

export type CacheFolderState =
  | { kind: 'absent' }
  | { kind: 'empty' }
  | { kind: 'cache'; layout: number }
  /** A cache from before the marker: only the store's own names inside. */
  | { kind: 'unmarked-cache' }
  | { kind: 'refused'; message: string };

/** Folders whose own contents belong to the system or to everybody: never a cache. */
const posixExact = ['/', '/bin', '/boot', '/dev', '/etc', '/home', '/lib', '/lib32', '/lib64', '/libx32', '/media', '/mnt', '/opt', '/proc', '/root', '/run', '/sbin', '/snap', '/srv', '/sys', '/tmp', '/usr', '/var', '/var/cache', '/var/lib', '/var/tmp', '/Applications', '/Library', '/System', '/Users', '/Volumes', '/private', '/private/tmp', '/private/var', '/cores'];
/** …and these with everything below them: the system's own trees. */
const posixTrees = ['/bin', '/boot', '/dev', '/etc', '/lib', '/lib32', '/lib64', '/libx32', '/proc', '/sbin', '/sys', '/usr', '/System'];

function windowsFolders(): string[] {
  const env = process.env;
  return [env.SystemRoot, env.windir, env.ProgramFiles, env['ProgramFiles(x86)'], env.ProgramData, env.SystemDrive && `${env.SystemDrive}\\Users`]
    .filter((p): p is string => Boolean(p))
    .map((p) => resolve(p).toLowerCase());
}

/** The path with links resolved as far as it exists, so `~/link-to-home` is seen as home. */
async function realPathOf(path: string): Promise<string> {
  const tail: string[] = [];
  let current = path;
  for (;;) {
    try {
      return join(await realpath(current), ...tail.reverse());
    } catch {
      const parent = dirname(current);
      if (parent === current) return path;
      tail.push(basename(current));
      current = parent;
    }
  }
}

/** Why a path may never hold the cache, or null when it may. */
export async function systemFolderReason(path: string): Promise<string | null> {
  const target = await realPathOf(resolve(path));
  const home = await realPathOf(resolve(homedir()));
  const why = `${path} is ${'%s'}; Dockmirror keeps its cache in a folder of its own, such as ${join(home, 'dockmirror-cache')}.`;
  if (target === home) return why.replace('%s', 'your home folder');
  if (parse(target).root === target) return why.replace('%s', 'the root of a disk');
  if (process.platform === 'win32') {
    const lower = target.toLowerCase();
    if (windowsFolders().some((folder) => lower === folder || lower.startsWith(folder + sep))) return why.replace('%s', 'a system folder');
    return null;
  }
  if (posixExact.includes(target) || posixTrees.some((tree) => target.startsWith(`${tree}/`))) return why.replace('%s', 'a system folder');
  return null;
}

function refusedForeign(root: string, example: string): CacheFolderState {
  return {
    kind: 'refused',
    message: `${root} holds files that are not a Dockmirror cache (such as ${example}); choose an empty folder, or use ${join(root, 'dockmirror-cache')}.`,
  };
}

/** Reads what the folder is without writing anything. */
export async function inspectCacheFolder(root: string): Promise<CacheFolderState> {
  const path = resolve(root);
  const system = await systemFolderReason(path);
  if (system) return { kind: 'refused', message: system };
  const info = await lstat(path).catch(() => null);
  if (!info) return { kind: 'absent' };
  if (!info.isDirectory()) return { kind: 'refused', message: `${path} is a file, not a folder.` };
  const entries = await readdir(path);
  if (entries.length === 0) return { kind: 'empty' };
  if (entries.includes(markerFileName)) {
    const marker = await readFile(new StorePaths(path).marker, 'utf8').then((text) => JSON.parse(text) as { layout?: unknown }, () => null);
    if (!marker || typeof marker.layout !== 'number' || !Number.isInteger(marker.layout)) {
      return { kind: 'refused', message: `${path} has a ${markerFileName} that cannot be read; restore it, or choose another folder.` };
    }
    if (marker.layout > storeLayoutVersion) {
      return { kind: 'refused', message: `${path} holds a cache made by a newer Dockmirror (layout ${marker.layout}); update Dockmirror, or choose another folder.` };
    }
    return { kind: 'cache', layout: marker.layout };
  }
  const scan = await scanStore(path);
  if (scan.foreign.length > 0) return refusedForeign(path, scan.foreign[0]!);
  if (!entries.includes(layoutNames.blobs) && !entries.includes(layoutNames.registries)) return refusedForeign(path, entries[0]!);
  return { kind: 'unmarked-cache' };
}

/**
 * Makes the folder the cache, or throws CacheFolderRefused. A new, empty or unmarked-cache
 * folder gets the marker; `write: false` (a read-only cache) only checks.
 */
export async function claimCacheFolder(paths: StorePaths, { write = true }: { write?: boolean } = {}): Promise<CacheFolderState> {
  const state = await inspectCacheFolder(paths.root);
  if (state.kind === 'refused') throw new CacheFolderRefused(state.message);
  if (state.kind === 'cache' || !write) return state;
  await mkdir(paths.tmpDir, { recursive: true });
  // Through tmp/ and a rename, so a crash never leaves a torn marker that would refuse the folder.
  const temp = paths.tempFile('rec');
  const marker = { layout: storeLayoutVersion, createdBy: 'dockmirror', createdAt: new Date().toISOString() };
  await writeFile(temp, `${JSON.stringify(marker)}\n`);
  await rename(temp, paths.marker);
  return state;
}

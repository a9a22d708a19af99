// Checks of a cache folder for the window, and the directory listing the headless window's
// folder browser uses. Plain fs: the native picker is the Electron adapter's job. Whether a
// folder may hold the cache is the engine's rule (inspectCacheFolder), so the window, the CLI and
// the engine's own start refuse exactly the same folders with the same sentence.
import { constants } from 'node:fs';
import { access, readdir, stat, statfs } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { inspectCacheFolder, type CacheFolderState } from '../../mirror/index.js';
import type { DirectoryListing, PathCheck } from '../shared/contract.js';
import { CoreError } from './core-error.js';

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/** The nearest folder that exists at or above `path`: a new cache folder is created inside it. */
async function nearestExisting(path: string): Promise<string> {
  let current = path;
  while (!(await exists(current))) {
    const parent = dirname(current);
    if (parent === current) return current;
    current = parent;
  }
  return current;
}

async function freeBytesAt(path: string): Promise<number | null> {
  try {
    const fs = await statfs(path);
    return Number(fs.bavail) * Number(fs.bsize);
  } catch {
    return null;
  }
}

export function holdsCache(state: CacheFolderState): boolean {
  return state.kind === 'cache' || state.kind === 'unmarked-cache';
}

/** What the folder is, by the engine's rules; `state` lets a move refuse a folder holding a cache. */
export async function inspectCachePath(path: string): Promise<{ check: PathCheck; state: CacheFolderState | null }> {
  const fail = (message: string, extra: Partial<PathCheck> = {}): PathCheck => ({
    path, ok: false, writable: false, freeBytes: null, holdsCache: false, message, ...extra,
  });
  if (typeof path !== 'string' || !isAbsolute(path)) return { check: fail('Choose a full folder path.'), state: null };
  const target = resolve(path);
  const state = await inspectCacheFolder(target).catch((error: NodeJS.ErrnoException): CacheFolderState => ({
    kind: 'refused',
    message: `${target} cannot be read (${error.code ?? error.message}); choose a folder Dockmirror may open.`,
  }));
  if (state.kind === 'refused') return { check: fail(state.message, { path: target }), state };
  const base = await nearestExisting(target);
  if (!(await stat(base)).isDirectory()) return { check: fail(`${base} is a file, so no folder can be made inside it; choose another place.`, { path: target }), state };
  const writable = await access(base, constants.W_OK).then(() => true, () => false);
  const freeBytes = await freeBytesAt(base);
  const cache = holdsCache(state);
  if (!writable) return { check: fail(`Dockmirror cannot write to ${base}; choose a folder you own.`, { path: target, freeBytes, holdsCache: cache }), state };
  const free = freeBytes === null ? 'unknown free space' : `${(freeBytes / 1e9).toFixed(1)} GB free`;
  const message = cache
    ? `This folder already holds a Dockmirror cache (${free}); Dockmirror can use it as it is.`
    : state.kind === 'absent'
      ? `Dockmirror will create this folder for the cache (${free}).`
      : `The folder can hold the cache (${free}).`;
  return { check: { path: target, ok: true, writable, freeBytes, holdsCache: cache, message }, state };
}

export async function checkCachePath(path: string): Promise<PathCheck> {
  return (await inspectCachePath(path)).check;
}

export async function listDirectory(path: string): Promise<DirectoryListing> {
  if (typeof path !== 'string' || !isAbsolute(path)) throw new CoreError('invalid-path', 'Choose a full folder path.');
  const target = resolve(path);
  let items;
  try {
    items = await readdir(target, { withFileTypes: true });
  } catch {
    throw new CoreError('invalid-path', 'That folder cannot be opened.');
  }
  const entries = items
    .filter((item) => item.isDirectory() && !item.name.startsWith('.'))
    .map((item) => ({ name: item.name, path: join(target, item.name) }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const parent = dirname(target);
  return { path: target, parent: parent === target ? null : parent, entries };
}

// Checks and moves of the cache folder, and the directory listing the headless window's folder
// browser uses. Plain fs: the native picker is the Electron adapter's job.
import { constants } from 'node:fs';
import { access, cp, mkdir, readdir, rename, rm, stat, statfs } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { DirectoryListing, PathCheck } from './contract.js';
import { CoreError } from './core-error.js';
import { StorePaths } from '../../mirror/store/paths.js';

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

export async function holdsCache(path: string): Promise<boolean> {
  const paths = new StorePaths(path);
  return (await exists(paths.blobsRoot)) || (await exists(paths.registriesDir));
}

export async function checkCachePath(path: string): Promise<PathCheck> {
  const fail = (message: string, extra: Partial<PathCheck> = {}): PathCheck => ({
    path, ok: false, writable: false, freeBytes: null, holdsCache: false, message, ...extra,
  });
  if (typeof path !== 'string' || !isAbsolute(path)) return fail('Choose a full folder path.');
  const target = resolve(path);
  const info = await stat(target).catch(() => null);
  if (info && !info.isDirectory()) return fail('That is a file, not a folder.');
  const base = await nearestExisting(target);
  const writable = await access(base, constants.W_OK).then(() => true, () => false);
  let freeBytes: number | null = null;
  try {
    const fs = await statfs(base);
    freeBytes = Number(fs.bavail) * Number(fs.bsize);
  } catch {
    freeBytes = null;
  }
  const cache = info ? await holdsCache(target) : false;
  if (!writable) return fail('Dockmirror cannot write to that folder; choose one you own.', { freeBytes, holdsCache: cache });
  const free = freeBytes === null ? 'unknown free space' : `${(freeBytes / 1e9).toFixed(1)} GB free`;
  return {
    path: target,
    ok: true,
    writable,
    freeBytes,
    holdsCache: cache,
    message: cache ? `This folder already holds a Dockmirror cache (${free}).` : `The folder can hold the cache (${free}).`,
  };
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

/** Moves the cache's contents; a rename where it can, a copy then delete across disks. */
export async function moveCache(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  if (!(await exists(from))) return;
  for (const name of await readdir(from)) {
    const source = join(from, name);
    const target = join(to, name);
    if (await exists(target)) throw new CoreError('cache-move-failed', `The new folder already has "${name}"; choose an empty folder or start empty.`);
    try {
      await rename(source, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
      await cp(source, target, { recursive: true, errorOnExist: true, force: false });
      await rm(source, { recursive: true, force: true });
    }
  }
}

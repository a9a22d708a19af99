// Which files in a cache folder are Dockmirror's, judged by name against the layout in
// paths.ts: the answer that lets the store adopt an old unmarked cache, clear the cache and move
// it while leaving every file it did not write exactly where it was.
import { lstat, readdir, rmdir, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { isOwnTempName, isRegistryKey, layoutNames, legacyWriteProbe } from './paths.js';

export interface StoreScan {
  /** Dockmirror's files, relative to the root with `/` separators. */
  own: string[];
  /** Everything else (files, folders, links), relative; folders are not descended into. */
  foreign: string[];
}

const hex64 = /^[a-f0-9]{64}$/;
const prefix = /^[a-f0-9]{2}$/;
const nameComponent = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const tagFile = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\.json$/;

type Kind = 'dir' | 'file';
/** Decides an entry from its path inside the root (segments) and its kind; true = Dockmirror's. */
function ownEntry(segments: string[], kind: Kind): boolean {
  const [top, ...rest] = segments;
  const name = segments.at(-1)!;
  switch (top) {
    case layoutNames.marker:
    case layoutNames.pins:
      return rest.length === 0 && kind === 'file';
    case layoutNames.tmp:
      return rest.length === 0 ? kind === 'dir' : rest.length === 1 && kind === 'file' && isOwnTempName(name);
    case layoutNames.blobs:
    case layoutNames.manifests:
      if (rest.length === 0) return kind === 'dir';
      if (rest[0] !== layoutNames.algorithm) return false;
      if (rest.length === 1) return kind === 'dir';
      if (rest.length === 2) return kind === 'dir' && prefix.test(rest[1]!);
      if (rest.length !== 3 || kind !== 'file' || !rest[2]!.startsWith(rest[1]!)) return false;
      return top === layoutNames.blobs ? hex64.test(rest[2]!) : hex64.test(rest[2]!.replace(/\.json$/, '')) && rest[2]!.endsWith('.json');
    case layoutNames.registries:
      return ownRecord(rest, kind);
    default:
      return rest.length === 0 && kind === 'file' && legacyWriteProbe.test(name);
  }
}

/** registries/<key>/<component>…/_tags/<tag>.json, …/_links/<hex> and …/_publicity.json. */
function ownRecord(rest: string[], kind: Kind): boolean {
  if (rest.length === 0) return kind === 'dir';
  if (!isRegistryKey(rest[0]!)) return false;
  const below = rest.slice(1);
  if (below.at(-1) === layoutNames.publicity) return kind === 'file' && below.length > 1 && below.slice(0, -1).every((c) => nameComponent.test(c));
  const records = below.findIndex((segment) => segment === layoutNames.tags || segment === layoutNames.links);
  const components = records === -1 ? below : below.slice(0, records);
  if (!components.every((c) => nameComponent.test(c))) return false;
  if (records === -1) return kind === 'dir';
  if (records === 0) return false;
  const after = below.slice(records + 1);
  if (after.length === 0) return kind === 'dir';
  if (after.length !== 1 || kind !== 'file') return false;
  return below[records] === layoutNames.tags ? tagFile.test(after[0]!) : hex64.test(after[0]!);
}

/** Walks the folder without following links; `skipTop` leaves out top-level names (e.g. tmp). */
export async function scanStore(root: string, skipTop: ReadonlySet<string> = new Set()): Promise<StoreScan> {
  const scan: StoreScan = { own: [], foreign: [] };
  async function walk(segments: string[]): Promise<void> {
    const dir = join(root, ...segments);
    const entries = await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    for (const entry of entries) {
      const path = [...segments, entry.name];
      if (segments.length === 0 && skipTop.has(entry.name)) continue;
      const kind: Kind | null = entry.isDirectory() ? 'dir' : entry.isFile() ? 'file' : null;
      if (!kind || !ownEntry(path, kind)) scan.foreign.push(path.join('/'));
      else if (kind === 'dir') await walk(path);
      else scan.own.push(path.join('/'));
    }
  }
  await walk([]);
  return scan;
}

/** Whether one relative path names a Dockmirror file (the caller checks it is a regular file). */
export function isOwnFile(relativePath: string): boolean {
  const segments = relativePath.split('/');
  return segments.every((s) => s !== '' && s !== '.' && s !== '..') && ownEntry(segments, 'file');
}

/**
 * Deletes the given own files (relative paths) that are regular files, then every folder on
 * their way up to `root` that is left empty. A folder still holding anything stays.
 */
export async function removeOwnFiles(root: string, files: Iterable<string>): Promise<void> {
  const dirs = new Set<string>();
  for (const file of files) {
    if (!isOwnFile(file)) continue;
    const path = join(root, ...file.split('/'));
    const info = await lstat(path).catch(() => null);
    if (!info?.isFile()) continue;
    await unlink(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    for (let dir = dirname(path); dir !== root && relative(root, dir) !== '' && !relative(root, dir).startsWith(`..`); dir = dirname(dir)) dirs.add(dir);
  }
  await pruneEmptyDirs(root, dirs);
}

/** Removes the listed folders that are empty, deepest first; `rmdir` never deletes contents. */
export async function pruneEmptyDirs(root: string, dirs: Iterable<string>): Promise<void> {
  const deepestFirst = [...new Set(dirs)].sort((a, b) => b.split(sep).length - a.split(sep).length);
  for (const dir of deepestFirst) {
    if (dir === root) continue;
    await rmdir(dir).catch(() => {});
  }
}

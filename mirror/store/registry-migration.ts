// Caches from before registries had names kept their records under the upstream's host and port
// (registries/127.0.0.1_5056/…, registries/mirror.team.lan/…). On start each configured
// registry adopts the folder its upstream used to write, so a cache made with one upstream
// serves on under the registry's name. Files are moved, never deleted: a record the new folder
// already holds stays where it was.
import { lstat, mkdir, readdir, rename } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { isOwnFile, pruneEmptyDirs } from './own-files.js';
import { isRegistryKey, type StorePaths } from './paths.js';

export interface KeyMove {
  /** The old folder name: the upstream's legacy key. */
  from: string;
  /** The registry's own key, from its logical name. */
  to: string;
}

/** Moves each old folder's records under the registry's name; returns the moves that found records. */
export async function migrateRegistryKeys(paths: StorePaths, moves: KeyMove[], protectedKeys: ReadonlySet<string>): Promise<KeyMove[]> {
  const done: KeyMove[] = [];
  for (const move of moves) {
    // A folder that is itself a registry's name belongs to that registry, whatever points there.
    if (move.from === move.to || protectedKeys.has(move.from) || !isRegistryKey(move.from) || !isRegistryKey(move.to)) continue;
    const source = join(paths.registriesDir, move.from);
    if (!(await isDirectory(source))) continue;
    const target = join(paths.registriesDir, move.to);
    if (!(await exists(target))) {
      await rename(source, target);
    } else {
      await mergeOwnFiles(paths, source, target);
    }
    done.push(move);
  }
  return done;
}

async function mergeOwnFiles(paths: StorePaths, source: string, target: string): Promise<void> {
  const emptied = new Set<string>();
  for (const file of await filesBelow(source)) {
    const rel = relative(source, file);
    const ownName = relative(paths.root, join(target, rel)).split(sep).join('/');
    if (!isOwnFile(ownName)) continue;
    const destination = join(target, rel);
    if (await exists(destination)) continue;
    await mkdir(dirname(destination), { recursive: true });
    await rename(file, destination);
    for (let dir = dirname(file); dir.startsWith(source); dir = dirname(dir)) emptied.add(dir);
  }
  await pruneEmptyDirs(paths.root, emptied);
}

async function filesBelow(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await filesBelow(path)));
    else if (entry.isFile()) found.push(path);
  }
  return found;
}

async function isDirectory(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => null))?.isDirectory() ?? false;
}

async function exists(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => null)) !== null;
}

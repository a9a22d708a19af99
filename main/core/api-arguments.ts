// The grammar of every window argument that ends up in a filesystem path: folders (the cache
// folder, the folder browser) and the names a cached image is deleted by. Checked where the call
// enters the core, so a name like `..` is a bad call answered with a sentence, long before the
// store's own containment check (mirror/store/paths.ts) would have to catch it.
import { isAbsolute, posix, win32 } from 'node:path';
import { isRegistryKey } from '../../mirror/index.js';
import { parseReference, parseRepository } from '../../mirror/reference.js';

/** An argument that does not have the shape the method needs; crosses as `{ code, message }`. */
export class BadRequest extends Error {
  readonly code = 'bad-request';
}

/** Longer than any real path (PATH_MAX is 4096 on Linux): nothing legitimate is refused. */
const maxPathLength = 4096;

/** Shown back to the person so they see which value was wrong, but never pages of it. */
function quoted(value: string): string {
  const shown = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  return JSON.stringify(shown);
}

function text(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new BadRequest(`The ${name} must be text.`);
  return value;
}

/**
 * A folder as a full path with no `.` or `..` parts: the window always sends paths it got from
 * the core or the picker, so a relative or climbing path is a bad call, not a place to resolve.
 */
export function folderPath(value: unknown, name = 'folder'): string {
  const path = text(value, name);
  const windows = process.platform === 'win32';
  const example = windows ? 'D:\\dockmirror-cache' : '/srv/dockmirror-cache';
  // Control characters (NUL above all) are never part of a folder someone picked.
  if (path.length === 0 || path.length > maxPathLength || /[\u0000-\u001f]/.test(path)) {
    throw new BadRequest(`The ${name} must be a full path such as ${example}.`);
  }
  if (!isAbsolute(path)) throw new BadRequest(`The ${name} ${quoted(path)} is not a full path; use one such as ${example}.`);
  const parts = path.slice((windows ? win32 : posix).parse(path).root.length).split(windows ? /[\\/]/ : '/');
  if (parts.some((part) => part === '.' || part === '..')) {
    throw new BadRequest(`The ${name} ${quoted(path)} has "." or ".." in it; use the folder's full path, such as ${example}.`);
  }
  return path;
}

/** The registry folder name the cache list reports (`docker.io`): never empty, `.` or `..`. */
export function registryName(value: unknown): string {
  const registry = text(value, 'registry');
  if (!isRegistryKey(registry)) {
    throw new BadRequest(`The registry ${quoted(registry)} is not one the cache lists; use a name such as docker.io.`);
  }
  return registry;
}

/** A repository exactly as the cache lists it (`library/alpine`), by the OCI name grammar. */
export function repositoryName(value: unknown): string {
  const repository = text(value, 'repository');
  try {
    parseRepository(repository);
  } catch {
    throw new BadRequest(
      `The repository ${quoted(repository)} is not an image name: lowercase letters and digits in parts separated by "/", such as library/alpine.`,
    );
  }
  return repository;
}

/** A tag (`3.20`) or a sha256 digest, by the OCI reference grammar. */
export function imageReference(value: unknown): string {
  const reference = text(value, 'tag');
  try {
    parseReference(reference);
  } catch {
    throw new BadRequest(
      `The tag ${quoted(reference)} is neither a tag (up to 128 letters, digits, "_", "." and "-", not starting with "." or "-") nor a sha256 digest.`,
    );
  }
  return reference;
}

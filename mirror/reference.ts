// Parsing and validation of repository names, tags and digests (OCI distribution grammar).
// Everything that later becomes part of a filesystem path passes through here first, which
// is why the grammars are strict: no component can be `.`, `..` or contain a separator.
import { RegistryError } from './errors.js';

const nameComponent = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const namePattern = new RegExp(`^${nameComponent}(?:/${nameComponent})*$`);
const tagPattern = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const sha256Pattern = /^sha256:[a-f0-9]{64}$/;
const digestShape = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** Longest repository name distribution accepts; longer names cannot be real. */
const maxNameLength = 255;

/** Normalises a client's repository name the way Docker Hub does: `alpine` → `library/alpine`. */
export function parseRepository(raw: string): string {
  if (raw.length === 0 || raw.length > maxNameLength || !namePattern.test(raw)) {
    throw new RegistryError('NAME_INVALID', `invalid repository name: ${truncate(raw)}`);
  }
  return raw.includes('/') ? raw : `library/${raw}`;
}

export function isDigest(reference: string): boolean {
  return reference.includes(':');
}

/** Accepts only sha256 digests, the only algorithm the content store verifies. */
export function parseDigest(raw: string): string {
  if (sha256Pattern.test(raw)) return raw;
  if (digestShape.test(raw) && !raw.startsWith('sha256:')) {
    throw new RegistryError('DIGEST_INVALID', `unsupported digest algorithm in ${truncate(raw)}: only sha256 is supported`);
  }
  throw new RegistryError('DIGEST_INVALID', `invalid digest: ${truncate(raw)} (expected sha256: and 64 lowercase hex digits)`);
}

export function parseTag(raw: string): string {
  if (!tagPattern.test(raw)) throw new RegistryError('TAG_INVALID', `invalid tag: ${truncate(raw)}`);
  return raw;
}

/** A manifest reference is either a tag or a digest; returns which, validated. */
export function parseReference(raw: string): { kind: 'tag' | 'digest'; value: string } {
  return isDigest(raw) ? { kind: 'digest', value: parseDigest(raw) } : { kind: 'tag', value: parseTag(raw) };
}

export function digestHex(digest: string): string {
  return digest.slice('sha256:'.length);
}

function truncate(value: string): string {
  return value.length > 80 ? `${value.slice(0, 80)}…` : value;
}

// skopeo copies an image out of a registry (or mirror) into an `oci:` or `dir:` layout on disk, and
// readCopiedImage re-hashes everything it wrote so tests can compare it with what was pushed.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { requireBinary, runCommand } from './process.js';

export const SKOPEO_BINARY = '/usr/bin/skopeo';

export type CopyLayout = 'oci' | 'dir';

export interface SkopeoCopyOptions {
  /** Destination layout; `oci` by default. */
  layout?: CopyLayout;
  /** Copy every platform of an index (`--all`), not only this machine's. */
  all?: boolean;
  /** Tag inside an `oci:` layout; `latest` by default. */
  ociTag?: string;
  /** `--src-creds user:password` for a mirror that asks for a login. */
  srcCreds?: string;
}

export interface CopyResult {
  ok: boolean;
  output: string;
}

/**
 * `skopeo copy --src-tls-verify=false SOURCE oci:DEST:tag` (or `dir:DEST`). The source is a
 * skopeo transport string such as `docker://127.0.0.1:5000/library/alpine:latest`.
 */
export async function skopeoCopy(source: string, destDir: string, options: SkopeoCopyOptions = {}): Promise<CopyResult> {
  await requireBinary(SKOPEO_BINARY);
  const layout = options.layout ?? 'oci';
  const dest = layout === 'oci' ? `oci:${destDir}:${options.ociTag ?? 'latest'}` : `dir:${destDir}`;
  // --insecure-policy: the machine's policy.json is not part of what the tests check.
  const args = ['--insecure-policy', 'copy', '--retry-times', '0', '--src-tls-verify=false'];
  if (options.all === true) args.push('--all');
  if (options.srcCreds !== undefined) args.push('--src-creds', options.srcCreds);
  else args.push('--src-no-creds');
  // A `dir:` copy keeps the manifest byte for byte; an `oci:` copy of a Docker v2 manifest has to
  // rewrite the manifest (media types), so there only the blobs keep their digests.
  if (layout === 'dir') args.push('--preserve-digests');
  args.push(source, dest);
  const result = await runCommand(SKOPEO_BINARY, args, { timeoutMs: 180_000, env: { ...process.env, REGISTRY_AUTH_FILE: '/dev/null' } });
  return { ok: result.ok, output: result.output };
}

/** A blob as found on disk after a copy. */
export interface CopiedBlob {
  /** The digest the layout names the blob by. */
  digest: string;
  /** The digest of the bytes actually on disk. */
  actualDigest: string;
  size: number;
}

export interface CopiedImage {
  /** Digest of the top-level manifest or index that was copied. */
  manifestDigest: string;
  manifestMediaType: string;
  manifestBytes: Buffer;
  /** For an index: the child manifests' digests that were copied (all with `all: true`). */
  childManifestDigests: string[];
  /** The config digest of the copied single-platform manifest (undefined for an index). */
  configDigest?: string;
  /** Config and layer blobs of every copied manifest, in manifest order, deduplicated. */
  blobs: CopiedBlob[];
  /** Every blob whose bytes do not hash to its name (should be empty). */
  corrupt: CopiedBlob[];
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
}

interface ManifestJson {
  mediaType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
}

async function hashFile(path: string): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

function mediaTypeOf(json: ManifestJson, fallback: string | undefined): string {
  return json.mediaType ?? fallback ?? (json.manifests !== undefined ? 'application/vnd.oci.image.index.v1+json' : 'application/vnd.oci.image.manifest.v1+json');
}

/** Reads an `oci:` or `dir:` layout written by skopeoCopy and re-hashes everything in it. */
export async function readCopiedImage(destDir: string, layout: CopyLayout = 'oci'): Promise<CopiedImage> {
  // Where a blob or manifest of a given digest lives in each layout.
  const blobPath = (digest: string): string =>
    layout === 'oci' ? join(destDir, 'blobs', ...digest.split(':')) : join(destDir, digest.split(':')[1] ?? digest);
  let topBytes: Buffer;
  let topMediaType: string | undefined;
  if (layout === 'oci') {
    const index = JSON.parse(await readFile(join(destDir, 'index.json'), 'utf8')) as ManifestJson;
    const top = index.manifests?.[0];
    if (top === undefined) throw new Error(`${destDir}/index.json lists no image.`);
    topBytes = await readFile(blobPath(top.digest));
    topMediaType = top.mediaType;
  } else {
    topBytes = await readFile(join(destDir, 'manifest.json'));
  }
  const top = JSON.parse(topBytes.toString('utf8')) as ManifestJson;
  const manifests: ManifestJson[] = [];
  const childManifestDigests: string[] = [];
  if (top.manifests !== undefined) {
    for (const child of top.manifests) {
      const childPath = layout === 'oci' ? blobPath(child.digest) : join(destDir, `${child.digest.split(':')[1] ?? ''}.manifest.json`);
      // Without --all only some children were copied; the missing ones are simply not there.
      const present = await stat(childPath).then(() => true, () => false);
      if (!present) continue;
      const childBytes = await readFile(childPath);
      if (sha256(childBytes) !== child.digest) throw new Error(`Child manifest ${child.digest} on disk hashes to ${sha256(childBytes)}.`);
      childManifestDigests.push(child.digest);
      manifests.push(JSON.parse(childBytes.toString('utf8')) as ManifestJson);
    }
  } else {
    manifests.push(top);
  }
  const seen = new Set<string>();
  const blobs: CopiedBlob[] = [];
  for (const manifest of manifests) {
    for (const descriptor of [...(manifest.config !== undefined ? [manifest.config] : []), ...(manifest.layers ?? [])]) {
      if (seen.has(descriptor.digest)) continue;
      seen.add(descriptor.digest);
      const actual = await hashFile(blobPath(descriptor.digest));
      blobs.push({ digest: descriptor.digest, actualDigest: actual.digest, size: actual.size });
    }
  }
  return {
    manifestDigest: sha256(topBytes),
    manifestMediaType: mediaTypeOf(top, topMediaType),
    manifestBytes: topBytes,
    childManifestDigests,
    ...(top.config !== undefined ? { configDigest: top.config.digest } : {}),
    blobs,
    corrupt: blobs.filter((blob) => blob.actualDigest !== blob.digest),
  };
}

/** Every file in a `dir:` layout or every blob in an `oci:` layout, for "nothing else was written" checks. */
export async function listLayoutFiles(destDir: string): Promise<string[]> {
  const entries = await readdir(destDir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath ?? entry.path, entry.name));
}

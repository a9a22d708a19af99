// Real container images built in pure Node (gzip'd ustar layers, image configs, Docker v2 and OCI
// manifests, an OCI index) and pushed to a registry with the plain HTTP API. Every pushed image
// comes back as data, so tests can check byte for byte what a client received.
import { createHash, randomFill, type Hash } from 'node:crypto';
import { request } from 'node:http';
import { arch } from 'node:os';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants as zlibConstants, createGzip, gzipSync } from 'node:zlib';
import { buildTar, parentDirectories, tarHeader, tarPadding, TAR_END, type TarEntry } from './tar.js';

export const MEDIA_TYPES = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

export type ImageFormat = 'docker' | 'oci';

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

/** A blob as a manifest references it. `bytes` is kept for small blobs only. */
export interface BlobDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  bytes?: Buffer;
}

export interface PushedLayer extends BlobDescriptor {
  /** sha256 of the uncompressed tar, as listed in the config's rootfs.diff_ids. */
  diffId: string;
  uncompressedSize: number;
  /** Files in the layer, absolute paths as seen inside a container. */
  files: string[];
}

export interface PushedImageManifest {
  kind: 'manifest';
  repository: string;
  /** The tag the manifest was pushed under; absent for the children of an index. */
  tag?: string;
  mediaType: string;
  digest: string;
  size: number;
  /** The exact manifest bytes the registry stores and serves. */
  bytes: Buffer;
  platform: Platform;
  config: BlobDescriptor & { bytes: Buffer };
  layers: PushedLayer[];
}

export interface PushedIndex {
  kind: 'index';
  repository: string;
  tag: string;
  mediaType: string;
  digest: string;
  size: number;
  bytes: Buffer;
  /** The child manifests in index order, each pushed by digest into the same repository. */
  manifests: PushedImageManifest[];
}

export type PushedImage = PushedImageManifest | PushedIndex;

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** `repository:tag` for an image that has a tag, `repository@digest` otherwise. */
export function imageReference(image: PushedImage): string {
  return image.tag !== undefined ? `${image.repository}:${image.tag}` : `${image.repository}@${image.digest}`;
}

/** Every blob (configs and layers) an image references, children of an index included, deduplicated. */
export function blobsOf(image: PushedImage): BlobDescriptor[] {
  const manifests = image.kind === 'index' ? image.manifests : [image];
  const seen = new Map<string, BlobDescriptor>();
  for (const manifest of manifests) {
    for (const blob of [manifest.config, ...manifest.layers]) if (!seen.has(blob.digest)) seen.set(blob.digest, blob);
  }
  return [...seen.values()];
}

/** The platform of this machine in OCI terms (containerd unpacks only this one). */
export function hostPlatform(): Platform {
  const map: Record<string, Platform> = {
    x64: { architecture: 'amd64', os: 'linux' },
    arm64: { architecture: 'arm64', os: 'linux', variant: 'v8' },
  };
  return map[arch()] ?? { architecture: arch(), os: 'linux' };
}

// ---------------------------------------------------------------------------------------------
// Registry push API
// ---------------------------------------------------------------------------------------------

async function failure(response: Response, what: string): Promise<Error> {
  const body = await response.text().catch(() => '');
  return new Error(`${what} failed with HTTP ${response.status}: ${body.slice(0, 500)}`);
}

async function startUpload(registryUrl: string, repository: string): Promise<URL> {
  const response = await fetch(`${registryUrl}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
  if (response.status !== 202) throw await failure(response, `Starting an upload to ${repository}`);
  await response.arrayBuffer();
  const location = response.headers.get('location');
  if (location === null) throw new Error('The registry started an upload without a Location header.');
  return new URL(location, registryUrl);
}

async function finishUpload(location: URL, digest: string, body: Buffer | undefined, repository: string): Promise<void> {
  location.searchParams.set('digest', digest);
  const response = await fetch(location, {
    method: 'PUT',
    body,
    headers: { 'content-type': 'application/octet-stream' },
  });
  if (response.status !== 201) throw await failure(response, `Finishing the upload of ${digest} to ${repository}`);
  await response.arrayBuffer();
}

/** Pushes a small blob in one monolithic PUT. */
export async function pushBlob(registryUrl: string, repository: string, data: Buffer): Promise<{ digest: string; size: number }> {
  const digest = sha256(data);
  const location = await startUpload(registryUrl, repository);
  await finishUpload(location, digest, data, repository);
  return { digest, size: data.length };
}

/** Streams a body into an upload session with one PATCH (chunked transfer), so nothing is buffered. */
function patchStream(location: URL, body: Readable): Promise<URL> {
  return new Promise((resolve, reject) => {
    const req = request(location, {
      method: 'PATCH',
      headers: { 'content-type': 'application/octet-stream' },
    });
    req.on('error', reject);
    req.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const next = response.headers.location;
        if (response.statusCode !== 202 || next === undefined) {
          reject(new Error(`Streaming a blob failed with HTTP ${response.statusCode}: ${Buffer.concat(chunks).toString('utf8').slice(0, 500)}`));
        } else {
          resolve(new URL(next, location));
        }
      });
    });
    pipeline(body, req).catch(reject);
  });
}

/** Pushes a blob from a stream; the digest is computed while the bytes flow. */
export async function pushBlobStream(
  registryUrl: string,
  repository: string,
  source: AsyncIterable<Uint8Array> | Readable,
): Promise<{ digest: string; size: number }> {
  const hasher = new HashingStream();
  const location = await startUpload(registryUrl, repository);
  const body = Readable.from(source).pipe(hasher);
  const next = await patchStream(location, body);
  const digest = hasher.digest();
  await finishUpload(next, digest, undefined, repository);
  return { digest, size: hasher.bytes };
}

/** PUTs a manifest and checks that the registry computed the same digest we did. */
export async function pushManifest(
  registryUrl: string,
  repository: string,
  reference: string,
  mediaType: string,
  bytes: Buffer,
): Promise<string> {
  const digest = sha256(bytes);
  const response = await fetch(`${registryUrl}/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    body: bytes,
    headers: { 'content-type': mediaType },
  });
  if (response.status !== 201) throw await failure(response, `Pushing the manifest ${repository}:${reference}`);
  await response.arrayBuffer();
  const stored = response.headers.get('docker-content-digest');
  if (stored !== digest) throw new Error(`The registry stored ${repository}:${reference} as ${stored}, expected ${digest}.`);
  return digest;
}

/** A pass-through stream that hashes and counts what flows through it. */
class HashingStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  bytes = 0;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }
  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Building images
// ---------------------------------------------------------------------------------------------

export interface LayerFile {
  /** Absolute path inside the container, e.g. /etc/dockmirror-test/base.txt. */
  path: string;
  content: Buffer | string;
}

interface BuiltLayer {
  blob: Buffer;
  layer: PushedLayer;
}

/** A gzip'd tar layer holding the files and their parent directories. */
export function buildLayer(files: readonly LayerFile[], format: ImageFormat = 'docker'): BuiltLayer {
  const entries: TarEntry[] = [];
  const directories = new Set<string>();
  for (const file of files) {
    for (const dir of parentDirectories(file.path)) {
      if (!directories.has(dir)) {
        directories.add(dir);
        entries.push({ path: dir, type: 'directory' });
      }
    }
    entries.push({ path: file.path.replace(/^\/+/, ''), type: 'file', content: Buffer.from(file.content) });
  }
  const tar = buildTar(entries);
  const blob = gzipSync(tar, { level: 6 });
  return {
    blob,
    layer: {
      mediaType: format === 'oci' ? MEDIA_TYPES.ociLayer : MEDIA_TYPES.dockerLayer,
      digest: sha256(blob),
      size: blob.length,
      bytes: blob,
      diffId: sha256(tar),
      uncompressedSize: tar.length,
      files: files.map((file) => (file.path.startsWith('/') ? file.path : `/${file.path}`)),
    },
  };
}

const CREATED = '2020-01-01T00:00:00Z';

function configBytes(platform: Platform, layers: readonly PushedLayer[], cmd: readonly string[]): Buffer {
  const config = {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant !== undefined ? { variant: platform.variant } : {}),
    created: CREATED,
    config: {
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      Cmd: [...cmd],
      WorkingDir: '/',
      Labels: { 'org.opencontainers.image.vendor': 'Dockmirror tests' },
    },
    rootfs: { type: 'layers', diff_ids: layers.map((layer) => layer.diffId) },
    history: layers.map((layer, i) => ({ created: CREATED, created_by: `dockmirror test layer ${i}: ${layer.files.join(' ')}` })),
  };
  return Buffer.from(JSON.stringify(config));
}

function manifestBytes(format: ImageFormat, config: BlobDescriptor, layers: readonly BlobDescriptor[]): Buffer {
  const strip = (blob: BlobDescriptor): { mediaType: string; digest: string; size: number } => ({
    mediaType: blob.mediaType,
    digest: blob.digest,
    size: blob.size,
  });
  const manifest = {
    schemaVersion: 2,
    mediaType: format === 'oci' ? MEDIA_TYPES.ociManifest : MEDIA_TYPES.dockerManifest,
    config: strip(config),
    layers: layers.map(strip),
  };
  return Buffer.from(JSON.stringify(manifest, null, 3));
}

export interface ImageSpec {
  repository: string;
  /** Absent: pushed by digest only (the children of an index). */
  tag?: string;
  format?: ImageFormat;
  platform?: Platform;
  /** One entry per layer; each layer is the list of its files. */
  layers: readonly (readonly LayerFile[])[];
  cmd?: readonly string[];
}

/** Builds an image, pushes its blobs (in parallel) and then its manifest. */
export async function pushImage(registryUrl: string, spec: ImageSpec): Promise<PushedImageManifest> {
  const format = spec.format ?? 'docker';
  const platform = spec.platform ?? hostPlatform();
  const built = spec.layers.map((files) => buildLayer(files, format));
  const layers = built.map((b) => b.layer);
  const config = configBytes(platform, layers, spec.cmd ?? ['cat', ...layers.flatMap((layer) => layer.files)]);
  const configDescriptor = {
    mediaType: format === 'oci' ? MEDIA_TYPES.ociConfig : MEDIA_TYPES.dockerConfig,
    digest: sha256(config),
    size: config.length,
    bytes: config,
  };
  await Promise.all([
    pushBlob(registryUrl, spec.repository, config),
    ...built.map((b) => pushBlob(registryUrl, spec.repository, b.blob)),
  ]);
  const bytes = manifestBytes(format, configDescriptor, layers);
  const mediaType = format === 'oci' ? MEDIA_TYPES.ociManifest : MEDIA_TYPES.dockerManifest;
  const digest = await pushManifest(registryUrl, spec.repository, spec.tag ?? sha256(bytes), mediaType, bytes);
  return {
    kind: 'manifest',
    repository: spec.repository,
    ...(spec.tag !== undefined ? { tag: spec.tag } : {}),
    mediaType,
    digest,
    size: bytes.length,
    bytes,
    platform,
    config: configDescriptor,
    layers,
  };
}

export interface IndexSpec {
  repository: string;
  tag: string;
  /** One image per platform; pushed as OCI manifests by digest. */
  images: readonly { platform: Platform; layers: readonly (readonly LayerFile[])[] }[];
}

/** Pushes OCI child manifests by digest, then an OCI index over them under the tag. */
export async function pushIndex(registryUrl: string, spec: IndexSpec): Promise<PushedIndex> {
  const manifests = await Promise.all(
    spec.images.map((image) =>
      pushImage(registryUrl, { repository: spec.repository, format: 'oci', platform: image.platform, layers: image.layers }),
    ),
  );
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociIndex,
    manifests: manifests.map((manifest) => ({
      mediaType: manifest.mediaType,
      digest: manifest.digest,
      size: manifest.size,
      platform: manifest.platform,
    })),
  };
  const bytes = Buffer.from(JSON.stringify(index, null, 3));
  const digest = await pushManifest(registryUrl, spec.repository, spec.tag, MEDIA_TYPES.ociIndex, bytes);
  return { kind: 'index', repository: spec.repository, tag: spec.tag, mediaType: MEDIA_TYPES.ociIndex, digest, size: bytes.length, bytes, manifests };
}

// ---------------------------------------------------------------------------------------------
// Large random images (benchmark)
// ---------------------------------------------------------------------------------------------

const RANDOM_CHUNK = 1024 * 1024;

async function* randomTar(path: string, sizeBytes: number): AsyncGenerator<Buffer> {
  for (const dir of parentDirectories(path)) yield tarHeader({ path: dir, type: 'directory', size: 0 });
  yield tarHeader({ path: path.replace(/^\/+/, ''), type: 'file', size: sizeBytes });
  let left = sizeBytes;
  while (left > 0) {
    const chunk = Buffer.allocUnsafe(Math.min(RANDOM_CHUNK, left));
    await new Promise<void>((resolve, reject) => randomFill(chunk, (error) => (error ? reject(error) : resolve())));
    left -= chunk.length;
    yield chunk;
  }
  yield tarPadding(sizeBytes);
  yield TAR_END;
}

export interface RandomImageSpec {
  repository: string;
  tag: string;
  /** Bytes of random file content in the single layer (e.g. 64 MiB, 256 MiB, 1 GiB). */
  sizeBytes: number;
}

/**
 * Pushes a Docker v2 image whose one layer holds a file of `sizeBytes` random bytes. The layer is a
 * real tar in a gzip wrapper with stored (level 0) blocks: random data does not compress, and
 * level 0 keeps pushing at memory speed while every client can still unpack the layer.
 * Nothing is buffered; the digest and diff_id are computed while streaming.
 */
export async function pushRandomImage(registryUrl: string, spec: RandomImageSpec): Promise<PushedImageManifest> {
  const file = `/dockmirror-random/${spec.repository.replace(/\//g, '_')}-${spec.tag}.bin`;
  const tarHash = new HashingStream();
  const gzip = createGzip({ level: zlibConstants.Z_NO_COMPRESSION, chunkSize: RANDOM_CHUNK });
  const source = Readable.from(randomTar(file, spec.sizeBytes));
  const compressed = source.pipe(tarHash).pipe(gzip);
  source.on('error', (error) => gzip.destroy(error));
  tarHash.on('error', (error) => gzip.destroy(error));
  const blob = await pushBlobStream(registryUrl, spec.repository, compressed);
  const layer: PushedLayer = {
    mediaType: MEDIA_TYPES.dockerLayer,
    digest: blob.digest,
    size: blob.size,
    diffId: tarHash.digest(),
    uncompressedSize: tarHash.bytes,
    files: [file],
  };
  const platform = hostPlatform();
  const config = configBytes(platform, [layer], ['true']);
  const configDescriptor = { mediaType: MEDIA_TYPES.dockerConfig, digest: sha256(config), size: config.length, bytes: config };
  await pushBlob(registryUrl, spec.repository, config);
  const bytes = manifestBytes('docker', configDescriptor, [layer]);
  const digest = await pushManifest(registryUrl, spec.repository, spec.tag, MEDIA_TYPES.dockerManifest, bytes);
  return {
    kind: 'manifest',
    repository: spec.repository,
    tag: spec.tag,
    mediaType: MEDIA_TYPES.dockerManifest,
    digest,
    size: bytes.length,
    bytes,
    platform,
    config: configDescriptor,
    layers: [layer],
  };
}

// ---------------------------------------------------------------------------------------------
// The standard test images
// ---------------------------------------------------------------------------------------------

export interface StandardImages {
  /** Docker v2 manifest, 2 layers: `library/alpine-test:latest`. */
  alpine: PushedImageManifest;
  /** OCI index over linux/amd64 and linux/arm64 OCI manifests: `library/multi-test:latest`. */
  multi: PushedIndex;
  /** `dockmirror/shared-a:1` and `dockmirror/shared-b:1` share their first layer. */
  sharedA: PushedImageManifest;
  sharedB: PushedImageManifest;
  /** `dockmirror/private-test:1`, meant to be listed as private in the hub stand-in. */
  privateImage: PushedImageManifest;
  all: PushedImage[];
}

export const STANDARD_REPOSITORIES = {
  alpine: 'library/alpine-test',
  multi: 'library/multi-test',
  sharedA: 'dockmirror/shared-a',
  sharedB: 'dockmirror/shared-b',
  privateImage: 'dockmirror/private-test',
} as const;

function testFile(name: string, text: string): LayerFile {
  return { path: `/etc/dockmirror-test/${name}.txt`, content: `${text}\n` };
}

/** Pushes the standard test images (all in parallel) and describes them. */
export async function pushStandardImages(registryUrl: string): Promise<StandardImages> {
  const shared = testFile('shared-base', 'a layer that shared-a and shared-b both use');
  const host = hostPlatform();
  const other: Platform = host.architecture === 'arm64' ? { architecture: 'amd64', os: 'linux' } : { architecture: 'arm64', os: 'linux', variant: 'v8' };
  const [alpine, multi, sharedA, sharedB, privateImage] = await Promise.all([
    pushImage(registryUrl, {
      repository: STANDARD_REPOSITORIES.alpine,
      tag: 'latest',
      layers: [[testFile('alpine-base', 'alpine-test base layer')], [testFile('alpine-app', 'alpine-test app layer')]],
    }),
    pushIndex(registryUrl, {
      repository: STANDARD_REPOSITORIES.multi,
      tag: 'latest',
      images: [host, other]
        .sort((a, b) => a.architecture.localeCompare(b.architecture))
        .map((platform) => ({
          platform,
          layers: [[testFile(`multi-${platform.architecture}`, `multi-test for ${platform.os}/${platform.architecture}`)]],
        })),
    }),
    pushImage(registryUrl, { repository: STANDARD_REPOSITORIES.sharedA, tag: '1', layers: [[shared], [testFile('shared-a', 'only in shared-a')]] }),
    pushImage(registryUrl, { repository: STANDARD_REPOSITORIES.sharedB, tag: '1', layers: [[shared], [testFile('shared-b', 'only in shared-b')]] }),
    pushImage(registryUrl, { repository: STANDARD_REPOSITORIES.privateImage, tag: '1', layers: [[testFile('private', 'a private image')]] }),
  ]);
  return { alpine, multi, sharedA, sharedB, privateImage, all: [alpine, multi, sharedA, sharedB, privateImage] };
}

// Real images built in pure Node: gzip'd ustar layers, image configs, Docker v2 and OCI manifests
// and an OCI index, pushed with registry-push.ts.
import { gzipSync } from 'node:zlib';
import { MEDIA_TYPES, hostPlatform, sha256, type BlobDescriptor, type ImageFormat, type Platform, type PushedImageManifest, type PushedIndex, type PushedLayer } from './image-types.js';
import { pushBlob, pushManifest } from './registry-push.js';
import { buildTar, parentDirectories, type TarEntry } from './tar.js';

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

export function configBytes(platform: Platform, layers: readonly PushedLayer[], cmd: readonly string[]): Buffer {
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

export function manifestBytes(format: ImageFormat, config: BlobDescriptor, layers: readonly BlobDescriptor[]): Buffer {
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

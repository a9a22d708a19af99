// What a pushed test image is, as data tests compare byte for byte with what a client received.
import { createHash } from 'node:crypto';
import { arch } from 'node:os';

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


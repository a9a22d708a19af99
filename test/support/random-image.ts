// Large random images for the benchmark and the streaming tests, streamed to the registry
// without being held in memory.
import { randomFill } from 'node:crypto';
import { Readable } from 'node:stream';
import { constants as zlibConstants, createGzip } from 'node:zlib';
import { configBytes, manifestBytes } from './image-build.js';
import { MEDIA_TYPES, hostPlatform, sha256, type PushedImageManifest, type PushedLayer } from './image-types.js';
import { HashingStream, pushBlob, pushBlobStream, pushManifest } from './registry-push.js';
import { parentDirectories, tarHeader, tarPadding, TAR_END } from './tar.js';

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


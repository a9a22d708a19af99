// Real container images built in pure Node (gzip'd ustar layers, image configs, Docker v2 and OCI
// manifests, an OCI index) and pushed to a registry with the plain HTTP API. Every pushed image
// comes back as data, so tests can check byte for byte what a client received.
// This file holds the standard test images; the rest is re-exported from the files that own it.
import { buildLayer, pushImage, pushIndex, type LayerFile } from './image-build.js';
import { hostPlatform, type Platform, type PushedImage, type PushedImageManifest, type PushedIndex } from './image-types.js';

export * from './image-types.js';
export { buildLayer, pushImage, pushIndex, type ImageSpec, type IndexSpec, type LayerFile } from './image-build.js';
export { pushBlob, pushBlobStream, pushManifest } from './registry-push.js';
export { pushRandomImage, type RandomImageSpec } from './random-image.js';

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


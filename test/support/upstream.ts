// One call for tests: distribution with the standard test images, fronted by the Docker Hub
// stand-in. Everything is loopback-only and torn down by close().
import { startHub, type HubOptions, type HubStandIn } from './hub.js';
import { pushStandardImages, STANDARD_REPOSITORIES, type StandardImages } from './images.js';
import { startRegistry, type RunningRegistry } from './registry.js';

export interface TestUpstreamOptions {
  /** Hub stand-in options; `registryUrl` is filled in. `privateRepositories` defaults to the standard private image. */
  hub?: Omit<HubOptions, 'registryUrl' | 'blobStorageRoot'>;
  /** The CDN reads blob bodies from distribution's files (see HubOptions.blobStorageRoot). */
  cdnReadsStorage?: boolean;
}

export interface TestUpstream {
  /** The hub stand-in's registry URL: what a mirror uses as its upstream. */
  url: string;
  registry: RunningRegistry;
  hub: HubStandIn;
  images: StandardImages;
  /** Stops the stand-in and distribution and removes the storage. Safe to call twice. */
  close(): Promise<void>;
}

export async function startTestUpstream(options: TestUpstreamOptions = {}): Promise<TestUpstream> {
  const registry = await startRegistry();
  // The stand-in needs no images to start, so it comes up while the pushes run.
  const [pushed, started] = await Promise.allSettled([
    pushStandardImages(registry.url),
    startHub({
      privateRepositories: [STANDARD_REPOSITORIES.privateImage],
      ...options.hub,
      registryUrl: registry.url,
      blobStorageRoot: options.cdnReadsStorage ? registry.rootDir : undefined,
    }),
  ]);
  if (pushed.status === 'rejected' || started.status === 'rejected') {
    if (started.status === 'fulfilled') await started.value.stop();
    await registry.stop();
    throw pushed.status === 'rejected' ? pushed.reason : (started as PromiseRejectedResult).reason;
  }
  const hub = started.value;
  const images = pushed.value;
  let closed: Promise<void> | undefined;
  return {
    url: hub.url,
    registry,
    hub,
    images,
    close: () => {
      closed ??= (async () => {
        await hub.stop();
        await registry.stop();
      })();
      return closed;
    },
  };
}

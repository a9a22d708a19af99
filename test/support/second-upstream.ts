// A second upstream for multi-registry tests: a real distribution with its own images behind
// the same stand-in code as the Docker Hub one, on other ports, with its own Bearer realm
// (service "ghcr.io"), so counters can prove which upstream got which request.
import { startHub, type HubStandIn } from './hub.js';
import { pushRandomImage, type PushedImageManifest } from './images.js';
import { startRegistry, type RunningRegistry } from './registry.js';

export interface SecondUpstream {
  url: string;
  hub: HubStandIn;
  registry: RunningRegistry;
  /** `owner/app:1`, an image the Docker Hub stand-in does not have. */
  image: PushedImageManifest;
  close(): Promise<void>;
}

export async function startSecondUpstream(): Promise<SecondUpstream> {
  const registry = await startRegistry();
  try {
    const image = await pushRandomImage(registry.url, { repository: 'owner/app', tag: '1', sizeBytes: 300 * 1024 });
    // Its realm is at its own origin, as ghcr.io's is (https://ghcr.io/token).
    const hub = await startHub({ registryUrl: registry.url, service: 'ghcr.io' });
    return {
      url: hub.url,
      hub,
      registry,
      image,
      close: async () => {
        await hub.stop();
        await registry.stop();
      },
    };
  } catch (error) {
    await registry.stop();
    throw error;
  }
}

/** The repositories named in the registry requests an upstream saw (`/v2/<repo>/manifests|blobs|tags/…`). */
export function repositoriesSeen(hub: HubStandIn): Set<string> {
  const seen = new Set<string>();
  for (const request of hub.stats().requests) {
    const match = /^\/v2\/(.+?)\/(?:manifests|blobs|tags)\//.exec(request.url);
    if (request.server === 'registry' && match) seen.add(match[1]!);
  }
  return seen;
}

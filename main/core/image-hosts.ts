// Which hosts pulled each cached image, for the Cache view's "by how many hosts": the engine's
// tag records keep only when a tag was last pulled, not by whom, so the app counts the distinct
// client addresses from the engine's request events (a manifest GET or HEAD by tag that succeeded
// starts a pull of that tag: containerd, and so Docker, resolve the tag with a HEAD and fetch by
// digest) and keeps them in the data folder so the count survives a restart.
import { join } from 'node:path';
import type { CachedRepository, MirrorEvent } from '../../mirror/public-types.js';
import { registryKey } from '../../mirror/store/paths.js';
import { DebouncedJsonFile } from './json-file.js';

export const imageHostsFile = 'image-hosts.json';
/** Bounds on what is kept: the images pulled longest ago go first; past this many hosts an image counts no more. */
export const maxImages = 5_000;
export const maxHostsPerImage = 500;
const saveDelayMs = 2_000;
const tagPattern = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

export class ImageHosts {
  /** `registryKey/repository:tag` → addresses, in the order the images were last pulled. */
  private readonly images = new Map<string, Set<string>>();
  private readonly file: DebouncedJsonFile;

  constructor(dataDir: string, onSaveError: (error: unknown) => void = () => {}) {
    const content = () => ({ images: Object.fromEntries([...this.images].map(([key, hosts]) => [key, [...hosts]])) });
    this.file = new DebouncedJsonFile(join(dataDir, imageHostsFile), content, onSaveError, { delayMs: saveDelayMs });
  }

  /** Takes one engine event; a pull by tag from a new host is saved soon after. */
  take(event: MirrorEvent): void {
    if (event.type !== 'request' || event.kind !== 'manifest' || (event.method !== 'GET' && event.method !== 'HEAD') || event.status !== 200) return;
    if (!event.registry || !event.repository || !event.reference || !tagPattern.test(event.reference)) return;
    const key = `${registryKey(event.registry)}/${event.repository}:${event.reference}`;
    const hosts = this.images.get(key) ?? new Set<string>();
    this.images.delete(key);
    this.images.set(key, hosts);
    if (this.images.size > maxImages) this.images.delete(this.images.keys().next().value!);
    if (hosts.has(event.client) || hosts.size >= maxHostsPerImage) return;
    hosts.add(event.client);
    this.file.changed();
  }

  count(registry: string, repository: string, tag: string): number {
    return this.images.get(`${registry}/${repository}:${tag}`)?.size ?? 0;
  }

  /** The cache list with each image's host count (registry as the list names it: the store's key). */
  annotate(repositories: CachedRepository[]): CachedRepository[] {
    return repositories.map((repo) => ({ ...repo, images: repo.images.map((image) => ({ ...image, pulledByHosts: this.count(repo.registry, repo.repository, image.reference) })) }));
  }

  /** Reads the stored counts; a missing or damaged file starts empty, and unreadable entries are dropped. */
  async load(): Promise<void> {
    const stored = await this.file.read();
    const images = (stored as { images?: unknown })?.images;
    if (typeof images !== 'object' || images === null) return;
    for (const [key, hosts] of Object.entries(images).slice(-maxImages)) {
      if (!Array.isArray(hosts) || key.length > 600) continue;
      this.images.set(key, new Set(hosts.filter((h): h is string => typeof h === 'string' && h.length <= 64).slice(0, maxHostsPerImage)));
    }
  }

  flush(): Promise<void> {
    return this.file.flush();
  }
}

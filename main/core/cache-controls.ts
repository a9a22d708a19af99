// The app's cache controls behind DockmirrorApi: browsing, deleting and pinning cached images,
// keep warm (the list lives in the settings, the schedule in the engine), refresh now, the
// window's prefetch and the expiry dry run. Kept out of app-core.ts, which owns the lifecycle.
import type { Logger } from 'pino';
import type { CachedRepository, ExpiryPreview, KeptImageStatus, MirrorEvent, PrefetchStatus } from '../../mirror/public-types.js';
import { imagesFromText } from '../prefetch/image-lists.js';
import type { AppSettings, AppState } from '../shared/contract.js';
import { CoreError } from './core-error.js';
import { ImageHosts } from './image-hosts.js';
import { keptImageFromName } from './keep-warm-setting.js';
import type { MirrorRunner } from './mirror-runner.js';

export interface CacheControlsHost {
  dataDir: string;
  /** Resolves once the core's stores are open (rejects for a core never opened). */
  opened(): Promise<void>;
  runner(): MirrorRunner;
  settings(): AppSettings;
  updateSettings(patch: Partial<AppSettings>): Promise<AppState>;
  publish(): AppState;
  logger(): Logger | undefined;
}

type Engine = ReturnType<MirrorRunner['current']>;

export class CacheControls {
  readonly hosts: ImageHosts;

  constructor(private readonly host: CacheControlsHost) {
    this.hosts = new ImageHosts(host.dataDir, (error) => host.logger()?.warn({ err: error }, 'could not save which hosts pulled each image'));
  }

  take(event: MirrorEvent): void {
    this.hosts.take(event);
  }

  async listCache(): Promise<CachedRepository[]> {
    await this.host.opened();
    return this.hosts.annotate(await this.engine().listCache());
  }

  deleteCachedImage(registry: string, repository: string, reference?: string): Promise<CachedRepository[]> {
    return this.change((engine) => engine.deleteImage(registry, repository, reference));
  }

  pinCachedImage(registry: string, repository: string, tag: string, pinned: boolean): Promise<CachedRepository[]> {
    return this.change((engine) => engine.pinImage(registry, repository, tag, pinned));
  }

  clearCache(): Promise<CachedRepository[]> {
    return this.change((engine) => engine.clearCache());
  }

  /** A settings change like any other: saved, then handed to the running engine without a restart. */
  async keepImageWarm(name: string, keep: boolean, platforms: string[] | null = null): Promise<AppState> {
    await this.host.opened();
    const { keepWarm, registries } = this.host.settings();
    const image = keptImageFromName(name, platforms, registries);
    const others = keepWarm.images.filter((i) => !(i.registry === image.registry && i.repository === image.repository && i.tag === image.tag));
    return this.host.updateSettings({ keepWarm: { ...keepWarm, images: keep ? [...others, image] : others } });
  }

  async refreshKeptImages(image?: string): Promise<KeptImageStatus[]> {
    await this.host.opened();
    if (image !== undefined) {
      const kept = keptImageFromName(image, null, this.host.settings().registries);
      image = `${kept.registry}/${kept.repository}:${kept.tag}`;
    }
    if (this.host.settings().keepWarm.images.length === 0) throw new CoreError('not-kept', 'No image is kept warm yet: turn on "Keep warm" for an image first.');
    const result = await this.engine().refreshKept(image);
    this.host.publish();
    return result;
  }

  async startPrefetch(text: string, fileName = ''): Promise<PrefetchStatus> {
    await this.host.opened();
    let images: string[];
    try {
      images = imagesFromText(text, fileName);
    } catch (error) {
      throw new CoreError('bad-prefetch-list', `The list could not be read: ${(error as Error).message}`);
    }
    if (images.length === 0) throw new CoreError('bad-prefetch-list', 'The list names no image: paste one image a line, or load a docker-compose.yml, Kubernetes YAML or Dockerfile.');
    const status = await this.engine().startPrefetch(images);
    this.host.publish();
    return status;
  }

  async expiryPreview(): Promise<ExpiryPreview> {
    await this.host.opened();
    const days = this.host.settings().expireAfterDays;
    return this.engine().expiryPreview(days === null ? null : days * 86_400_000);
  }

  private engine(): Engine {
    return this.host.runner().current(this.host.settings());
  }

  /** Changes the cache through the running engine, then lists it as it is now. */
  private async change(change: (engine: Engine) => Promise<unknown>): Promise<CachedRepository[]> {
    await this.host.opened();
    const engine = this.engine();
    await change(engine);
    this.host.publish();
    return this.hosts.annotate(await engine.listCache());
  }
}

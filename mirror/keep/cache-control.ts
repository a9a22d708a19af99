// The owner's controls over what the cache holds, assembled for the engine: pins, reference
// counts, the size cap's evictor and the keep-warm schedule. Constructing it does no I/O.
import type { Logger } from 'pino';
import type { HealthProblems } from '../health.js';
import type { ExpiryPreview, KeepWarmSettings, KeptImageStatus, PrefetchStatus } from '../public-types.js';
import type { RegistrySet } from '../registries/registry-set.js';
import type { BlobStore } from '../store/blob-store.js';
import { Evictor } from '../store/eviction.js';
import { registryKey, type StorePaths } from '../store/paths.js';
import type { RecordStore } from '../store/records.js';
import { References } from '../store/references.js';
import { KeepWarm } from './keep-warm.js';
import { imageKey, Pins } from './pins.js';
import { prefetchImages, type PrefetchProgress, type PrefetchResult } from './prefetch.js';
import { PrefetchJobs } from './prefetch-job.js';

export interface CacheControlParts {
  paths: StorePaths;
  store: BlobStore;
  records: RecordStore;
  registries: () => RegistrySet;
  problems: HealthProblems;
  logger: Logger;
  now: () => number;
  maxBytes: () => number | null;
  expireAfterMs: () => number | null;
  keepWarm?: KeepWarmSettings;
}

export class CacheControl {
  readonly pins: Pins;
  readonly references: References;
  readonly evictor: Evictor;
  readonly prefetches: PrefetchJobs;
  private keepWarm: KeepWarm | null = null;
  private keepWarmSettings: KeepWarmSettings | undefined;
  private started = false;
  private expiryTimer: NodeJS.Timeout | null = null;

  constructor(private readonly parts: CacheControlParts) {
    const { paths, store, records, problems, logger } = parts;
    this.pins = new Pins(paths);
    this.references = new References(store, records);
    this.prefetches = new PrefetchJobs(parts.now);
    this.keepWarmSettings = parts.keepWarm;
    this.evictor = new Evictor({
      store,
      records,
      references: this.references,
      pins: this.pins,
      maxBytes: parts.maxBytes,
      expireAfterMs: parts.expireAfterMs,
      now: parts.now,
      onEvicted: (digest) => {
        parts.registries().forget(digest);
        logger.debug({ digest }, 'evicted from the cache');
      },
      onOverCap: (message) => {
        if (!message) return problems.clear('cache-over-cap');
        if (!problems.has('cache-over-cap')) logger.warn(message);
        problems.raise('cache-over-cap', message);
      },
    });
  }

  /** Starts the keep-warm schedule (its first run at once) and a first eviction pass. */
  start(): void {
    this.started = true;
    this.keepWarm ??= this.buildKeepWarm();
    this.keepWarm?.start();
    // Images age without any request arriving, so expiry also looks once an hour.
    if (this.parts.expireAfterMs() !== null && !this.expiryTimer) {
      this.expiryTimer = setInterval(() => void this.evictor.request(), 3_600_000);
      this.expiryTimer.unref();
    }
    void this.evictor.request();
  }

  stop(): void {
    this.started = false;
    this.keepWarm?.stop();
    if (this.expiryTimer) clearInterval(this.expiryTimer);
    this.expiryTimer = null;
  }

  keptStatus(): KeptImageStatus[] | undefined {
    return this.keepWarm?.status();
  }

  /** Every kept image, or the one named `registry/repository:tag`, refreshed now (a stopped mirror refreshes too). */
  async refreshKept(image?: string): Promise<KeptImageStatus[]> {
    this.keepWarm ??= this.buildKeepWarm();
    if (!this.keepWarm) return [];
    const result = await this.keepWarm.refreshNow(image);
    void this.evictor.request();
    return result;
  }

  /** A new list or schedule replaces the old at once; results of images on both lists stay. */
  setKeepWarm(settings: KeepWarmSettings): KeptImageStatus[] {
    const previous = this.keepWarm?.status() ?? [];
    this.keepWarm?.stop();
    this.keepWarmSettings = settings;
    this.keepWarm = this.buildKeepWarm();
    if (!this.keepWarm) this.pins.setKept([]);
    this.keepWarm?.adopt(previous);
    if (this.started) this.keepWarm?.start();
    void this.evictor.request();
    return this.keepWarm?.status() ?? [];
  }

  /** Pulls images into the cache with no host involved (the CLI's admin request); progress per image and per blob. */
  async prefetch(names: readonly string[], onProgress: (progress: PrefetchProgress) => void = () => {}): Promise<PrefetchResult[]> {
    const { store, records, now, logger } = this.parts;
    const results = await prefetchImages(names, this.parts.registries(), { store, records, now }, onProgress);
    logger.info({ images: results.map((r) => `${r.image} ${r.ok ? 'ok' : r.message}`) }, 'prefetched');
    void this.evictor.request();
    return results;
  }

  /** The window's prefetch: returns at once, and status() shows its progress. */
  startPrefetch(images: string[]): PrefetchStatus {
    return this.prefetches.start(images, (names, onProgress) => this.prefetch(names, onProgress), (error) => this.parts.logger.error({ err: error }, 'the prefetch failed'));
  }

  expiryPreview(expireAfterMs: number | null = this.parts.expireAfterMs()): Promise<ExpiryPreview> {
    return this.evictor.expiryPreview(expireAfterMs);
  }

  private buildKeepWarm(): KeepWarm | null {
    const settings = this.keepWarmSettings;
    if (!settings || settings.images.length === 0) return null;
    const { records, store, now, logger } = this.parts;
    return new KeepWarm(settings, this.parts.registries(), { store, records, now }, this.pins, (_entry, state) => {
      logger.info({ image: state.image, result: state.result, detail: state.detail }, `kept image ${state.image}: ${state.result}`);
      if (state.result === 'updated' || state.result === 'repaired') void this.evictor.request();
    });
  }

  async pin(registry: string, repository: string, tag: string, pinned: boolean): Promise<void> {
    await this.pins.set(imageKey(registryKey(registry), repository, tag), pinned);
    this.parts.logger.info({ registry, repository, tag, pinned }, pinned ? 'pinned' : 'unpinned');
    void this.evictor.request();
  }
}

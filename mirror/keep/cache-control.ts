// The owner's controls over what the cache holds, assembled for the engine: pins, reference
// counts, the size cap's evictor and the keep-warm schedule. Constructing it does no I/O.
import type { Logger } from 'pino';
import type { HealthProblems } from '../health.js';
import type { KeepWarmSettings, KeptImageStatus } from '../public-types.js';
import type { RegistrySet } from '../registries/registry-set.js';
import type { BlobStore } from '../store/blob-store.js';
import { Evictor } from '../store/eviction.js';
import { registryKey, type StorePaths } from '../store/paths.js';
import type { RecordStore } from '../store/records.js';
import { References } from '../store/references.js';
import { KeepWarm } from './keep-warm.js';
import { imageKey, Pins } from './pins.js';

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
  private keepWarm: KeepWarm | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;

  constructor(private readonly parts: CacheControlParts) {
    const { paths, store, records, problems, logger } = parts;
    this.pins = new Pins(paths);
    this.references = new References(store, records);
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
    const { keepWarm, records, store, now, logger } = this.parts;
    if (keepWarm && keepWarm.images.length > 0 && !this.keepWarm) {
      this.keepWarm = new KeepWarm(keepWarm, this.parts.registries(), { store, records, now }, this.pins, (entry, state) => {
        logger.info({ image: state.image, result: state.result, detail: state.detail }, `kept image ${state.image}: ${state.result}`);
        if (state.result === 'updated' || state.result === 'repaired') void this.evictor.request();
        void entry;
      });
    }
    this.keepWarm?.start();
    // Images age without any request arriving, so expiry also looks once an hour.
    if (this.parts.expireAfterMs() !== null && !this.expiryTimer) {
      this.expiryTimer = setInterval(() => void this.evictor.request(), 3_600_000);
      this.expiryTimer.unref();
    }
    void this.evictor.request();
  }

  stop(): void {
    this.keepWarm?.stop();
    if (this.expiryTimer) clearInterval(this.expiryTimer);
    this.expiryTimer = null;
  }

  keptStatus(): KeptImageStatus[] | undefined {
    return this.keepWarm?.status();
  }

  async refreshKept(): Promise<KeptImageStatus[]> {
    if (!this.keepWarm) return [];
    const result = await this.keepWarm.refreshNow();
    void this.evictor.request();
    return result;
  }

  async pin(registry: string, repository: string, tag: string, pinned: boolean): Promise<void> {
    await this.pins.set(imageKey(registryKey(registry), repository, tag), pinned);
    this.parts.logger.info({ registry, repository, tag, pinned }, pinned ? 'pinned' : 'unpinned');
    void this.evictor.request();
  }
}

// Assembles the mirror: store, upstream client, blob and manifest services, HTTP front,
// events and counters. Constructing it does no I/O; start() opens the store and listens.
import type { Server } from 'node:http';
import pino, { type Logger } from 'pino';
import { ClientFilter } from './http/client-filter.js';
import { ConnectionLimits, connectionLimitSettings } from './http/connection-limits.js';
import { createRegistryServer } from './http/server.js';
import { checkHealth, HealthProblems } from './health.js';
import { BufferPool } from './blobs/buffer-pool.js';
import { CacheInventory } from './cache-inventory.js';
import { countRequest, emptyCounters, renderPrometheus } from './metrics.js';
import type { CachedRepository, ExpiryPreview, KeepWarmSettings, KeptImageStatus, MirrorEngine, MirrorEvent, MirrorOptions, MirrorStatus, PrefetchStatus, RequestEvent } from './public-types.js';
import { PullTracker } from './pull-tracker.js';
import { ScavengePacer } from './scavenge-pacer.js';
import { dockerHubName, dockerHubUpstream, resolveRegistries } from './registries/registry-list.js';
import { RegistrySet } from './registries/registry-set.js';
import { BlobStore } from './store/blob-store.js';
import { CacheGuard } from './store/cache-guard.js';
import { diskErrorCode, diskErrors } from './store/disk-errors.js';
import { legacyRegistryName, registryKey, StorePaths } from './store/paths.js';
import { migrateRegistryKeys } from './store/registry-migration.js';
import { RecordStore } from './store/records.js';
import { CacheControl } from './keep/cache-control.js';
import { upstreamTimeouts } from './upstream/timeouts.js';

export const defaultUpstream = dockerHubUpstream;
export const defaultTagTtlMs = 60_000;
export const defaultMinFreeBytes = 1_000_000_000;
/** How long stop() lets in-flight responses finish before cutting them. */
const stopGraceMs = 5_000;

export class Mirror implements MirrorEngine {
  private readonly options: Required<Pick<MirrorOptions, 'cacheDir' | 'upstream' | 'tagTtlMs' | 'now'>> & MirrorOptions;
  private readonly logger: Logger;
  private readonly store: BlobStore;
  private readonly records: RecordStore;
  private readonly registries: RegistrySet;
  private readonly inventory: CacheInventory;
  private readonly keep: CacheControl;
  private readonly pulls: PullTracker;
  private readonly filter: ClientFilter;
  private readonly guard: CacheGuard;
  private readonly listeners = new Set<(event: MirrorEvent) => void>();
  private readonly counters = emptyCounters();
  private readonly problems: HealthProblems;
  /** Send buffers for this engine's streams: 4 MiB in use at most, 8 MiB kept for reuse. */
  private readonly sendBuffers = new BufferPool(4 * 1024 * 1024, 8 * 1024 * 1024);
  private server: Server | null = null;
  private listening: { host: string; port: number } | undefined;
  private opened = false;

  constructor(options: MirrorOptions) {
    this.options = { ...options, upstream: options.upstream ?? defaultUpstream, tagTtlMs: options.tagTtlMs ?? defaultTagTtlMs, now: options.now ?? Date.now };
    const { now } = this.options;
    this.problems = new HealthProblems(now);
    this.logger = options.logger ?? pino({ level: 'silent' });
    const paths = new StorePaths(options.cacheDir);
    this.store = new BlobStore(paths, now);
    this.records = new RecordStore(paths);
    this.filter = new ClientFilter(options.allowlist);
    this.guard = new CacheGuard(options.cacheDir, options.minFreeBytes ?? defaultMinFreeBytes, (problem) => {
      this.problems.clear('disk-full');
      this.problems.clear('cache-not-writable');
      if (problem) {
        this.problems.raise(problem.code, problem.message);
        this.logger.warn(problem.message);
      }
    }, now);
    this.keep = new CacheControl({
      paths,
      store: this.store,
      records: this.records,
      registries: () => this.registries,
      problems: this.problems,
      logger: this.logger,
      now,
      maxBytes: () => this.options.maxSizeBytes ?? null,
      expireAfterMs: () => this.options.expireAfterMs ?? null,
      keepWarm: options.keepWarm,
    });
    const upstreamName = options.registryName ?? dockerHubName;
    const configs = resolveRegistries({ upstream: options.upstream, upstreamName, registries: options.registries, defaultRegistries: options.defaultRegistries });
    this.registries = new RegistrySet(
      configs,
      {
        store: this.store,
        records: this.records,
        guard: this.guard,
        problems: this.problems,
        now,
        tagTtlMs: this.options.tagTtlMs,
        timeouts: upstreamTimeouts(options.httpTimeouts),
        ownAddresses: () => (this.listening ? [this.listening] : []),
        clientAuth: options.clientAuth,
        servePrivateToAnyone: options.servePrivateToAnyone,
        onUpstreamBytes: new ScavengePacer().counting((bytes) => (this.counters.bytesFromUpstream += bytes)),
        onUpstreamPull: () => this.counters.upstreamPulls++,
        onStored: () => void this.keep.evictor.request(),
        onWriteError: (error) => {
          const code = (error as NodeJS.ErrnoException).code;
          if (code) this.guard.writeFailed(code);
          this.logger.warn({ err: error }, 'could not write to the cache; serving without caching');
        },
        onStale: (registry, repository, reference, reason) => this.logger.warn({ registry, repository, reference, reason }, 'served a stale tag: the upstream could not be asked'),
      },
      (name) => options.registryCredentials?.[name] ?? (name === upstreamName ? options.credentials : undefined),
    );
    this.inventory = new CacheInventory(this.store, this.records, this.keep.references, this.keep.pins);
    this.pulls = new PullTracker((pull) => {
      if (pull.type === 'pull') this.logger.info({ pull }, pull.summary);
      this.emit(pull);
    });
  }

  async start(listen: { host: string; port: number }): Promise<{ host: string; port: number }> {
    if (this.server) throw new Error('The mirror is already running.');
    await this.ensureOpen();
    const registries = this.registries;
    const server = createRegistryServer({
      registries: (name) => registries.endpoint(name),
      defaultRegistry: dockerHubName,
      filter: () => this.filter,
      access: registries.list()[0]?.access ?? { authenticate: () => {} },
      timeouts: this.options.httpTimeouts,
      sendBuffers: this.sendBuffers,
      limits: new ConnectionLimits(await connectionLimitSettings({ ...this.options.connectionLimits, sendTimeoutMs: this.options.httpTimeouts?.sendMs })),
      hostRoutes: this.options.hostRoutes,
      onHostEvent: (event) => this.emit(event),
      metrics: () =>
        renderPrometheus(this.counters, {
          cacheBytes: this.store.totalBytes,
          cacheBlobs: this.store.count,
          cacheMaxBytes: this.options.maxSizeBytes ?? null,
          rateLimitRemaining: this.dockerHubRateLimit()?.remaining ?? null,
          sendBuffersLentBytes: this.sendBuffers.lentNow,
        }),
      health: () => checkHealth(this.store, this.guard, this.problems),
      onRequest: (event) => this.recordRequest(event),
      onAnswering: (event, body) => this.pulls.answering(event, body),
      prefetch: (images, onProgress) => this.ensureOpen().then(() => this.keep.prefetch(images, onProgress)),
      onInternalError: (error, event) => this.logger.error({ err: error, request: event }, 'internal error while answering a request'),
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => reject(listenError(error, listen));
      server.once('error', onError);
      server.listen(listen.port, listen.host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : listen.port;
    this.server = server;
    this.listening = { host: listen.host, port };
    this.logger.info({ listen: this.listening, upstreams: this.registries.list().filter((r) => r.config.enabled).map((r) => `${r.name}=${r.config.upstream.host}`), cache: this.options.cacheDir }, 'mirror listening');
    this.keep.start();
    return this.listening;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    this.listening = undefined;
    this.keep.stop();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const grace = setTimeout(() => server.closeAllConnections(), stopGraceMs);
    await closed;
    clearTimeout(grace);
    // Downloads finish (or fail) on their own; waiting keeps the store free of half-done work.
    await this.registries.close();
    this.pulls.flush();
    this.logger.info('mirror stopped');
  }

  status(): MirrorStatus {
    return {
      serving: this.server !== null,
      listen: this.listening,
      upstream: this.registries.get(dockerHubName)?.status().upstream ?? this.options.upstream,
      registries: this.registries.status(),
      cache: { path: this.options.cacheDir, bytes: this.store.totalBytes, maxBytes: this.options.maxSizeBytes ?? null, blobs: this.store.count },
      counters: { ...this.counters },
      rateLimit: this.dockerHubRateLimit(),
      problems: this.problems.list(),
      keepWarm: this.keep.keptStatus(),
      prefetch: this.keep.prefetches.status(),
      clientLogin: Boolean(this.options.clientAuth),
    };
  }

  subscribe(listener: (event: MirrorEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async listCache(): Promise<CachedRepository[]> {
    await this.ensureOpen();
    return this.inventory.list();
  }

  async deleteImage(registry: string, repository: string, reference?: string): Promise<void> {
    await this.ensureOpen();
    const deleted = await this.inventory.delete(registry, repository, reference);
    for (const digest of deleted) this.registries.forget(digest);
    this.logger.info({ registry, repository, reference, blobs: deleted.length }, 'deleted from the cache');
  }

  /** Pins or unpins a cached tag (`registry` as clients name it): the size cap and expiry never remove a pinned image. */
  async pinImage(registry: string, repository: string, tag: string, pinned: boolean): Promise<void> {
    await this.ensureOpen();
    await this.keep.pin(registry, repository, tag, pinned);
  }

  /** Refreshes every kept-warm image now, or one (`registry/repository:tag`); the schedule runs only while serving. */
  async refreshKept(image?: string): Promise<KeptImageStatus[]> {
    await this.ensureOpen();
    return this.keep.refreshKept(image);
  }

  async setKeepWarm(settings: KeepWarmSettings): Promise<KeptImageStatus[]> {
    return this.keep.setKeepWarm(settings);
  }

  /** Pulls images into the cache with no host involved; progress per image and layer in status().prefetch. */
  startPrefetch(images: string[]): Promise<PrefetchStatus> {
    return this.ensureOpen().then(() => this.keep.startPrefetch(images));
  }

  expiryPreview(expireAfterMs?: number | null): Promise<ExpiryPreview> {
    return this.ensureOpen().then(() => this.keep.expiryPreview(expireAfterMs));
  }

  async clearCache(): Promise<void> {
    await this.ensureOpen();
    await this.inventory.clear();
    this.registries.forget();
    this.logger.info('cache cleared');
  }

  private async ensureOpen(): Promise<void> {
    if (this.opened) return;
    try {
      await this.store.open();
    } catch (error) {
      const code = diskErrorCode(error);
      if (!code || diskErrors[code] !== 'not-writable') throw error;
      // A cache on a read-only disk still serves what it holds and streams the rest; only the
      // sweep of leftover downloads needs to write.
      await this.store.open({ sweepTemp: false });
      this.guard.writeFailed(code);
      this.opened = true;
      return;
    }
    await this.migrateLegacyKeys();
    this.opened = true;
  }

  /** Records an older Dockmirror kept under the upstream's host:port move under the registry's name. */
  private async migrateLegacyKeys(): Promise<void> {
    const registries = this.registries.list();
    const moves = registries.map((registry) => ({ from: registryKey(legacyRegistryName(registry.config.upstream)), to: registry.key }));
    const done = await migrateRegistryKeys(this.store.paths, moves, new Set(registries.map((registry) => registry.key)));
    for (const move of done) this.logger.info(move, 'moved cached records under the registry\'s name');
  }

  private dockerHubRateLimit(): MirrorStatus['rateLimit'] {
    return this.registries.get(dockerHubName)?.dockerHubRateLimit ?? null;
  }

  private recordRequest(event: RequestEvent): void {
    countRequest(this.counters, event);
    // The rate-limit problem comes from upstream 429s only (upstream-registry.ts), never from the
    // mirror's own 429s (connection cap, login throttle).
    if (event.registry) this.registries.get(event.registry)?.answered(event.kind, event.status, event.cache, this.problems);
    const level = event.status >= 500 ? 'error' : event.status >= 400 ? 'warn' : 'info';
    this.logger[level]({ request: event }, `${event.client} ${event.method} ${event.repository ?? ''}${event.reference ? `@${event.reference}` : ''} ${event.status} ${event.cache}`);
    this.emit(event);
    this.pulls.record(event);
  }

  private emit(event: MirrorEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.logger.error({ err: error }, 'an event listener failed');
      }
    }
  }
}

function listenError(error: NodeJS.ErrnoException, listen: { host: string; port: number }): Error {
  if (error.code === 'EADDRINUSE') return Object.assign(new Error(`Port ${listen.port} on ${listen.host} is already in use; choose another port with --listen.`), { code: 'EADDRINUSE' });
  if (error.code === 'EACCES') return Object.assign(new Error(`Listening on port ${listen.port} needs privileges this user lacks; choose a port above 1023.`), { code: 'EACCES' });
  if (error.code === 'EADDRNOTAVAIL') return Object.assign(new Error(`${listen.host} is not an address of this machine.`), { code: 'EADDRNOTAVAIL' });
  return error;
}

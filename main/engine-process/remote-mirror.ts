// A MirrorEngine whose engine runs in the engine process. status() must answer at once, so it
// is the last snapshot the child pushed (after every command, soon after events, and at an
// interval), with the process's own health problem in front while it is down.
import type { Logger } from 'pino';
import { defaultUpstream } from '../../mirror/index.js';
import type {
  ExpiryPreview, KeepWarmSettings, PrefetchStatus, CachedRepository, KeptImageStatus, CredentialsProvider, MirrorEngine, MirrorEvent, MirrorOptions, MirrorStatus,
} from '../../mirror/public-types.js';
import type { EngineProcess } from './engine-process.js';
import type { EngineSettings, LogLevelName } from './protocol.js';

/** What an engine reports before its process has said anything: stopped, nothing counted yet. */
function initialStatus(settings: EngineSettings): MirrorStatus {
  return {
    serving: false,
    upstream: settings.upstream ?? defaultUpstream,
    registries: [],
    cache: { path: settings.cacheDir, bytes: 0, maxBytes: settings.maxSizeBytes ?? null, blobs: 0 },
    counters: { requests: 0, hits: 0, misses: 0, bytesFromCache: 0, bytesFromUpstream: 0, upstreamPulls: 0, pullsServed: 0 },
    rateLimit: null,
    problems: [],
  };
}

export class RemoteMirror implements MirrorEngine {
  readonly settings: EngineSettings;
  readonly credentials: CredentialsProvider | undefined;
  /** Asked in this process when the child requests a registry's credentials by name. */
  readonly registryCredentials: Record<string, CredentialsProvider> | undefined;
  readonly logger: Logger | undefined;
  private last: MirrorStatus;
  private readonly listeners = new Set<(event: MirrorEvent) => void>();
  /** Where it was serving when asked to: a restarted process listens there again. */
  private wanted: { host: string; port: number } | null = null;

  constructor(
    private readonly process: EngineProcess,
    options: MirrorOptions,
    readonly id: number,
  ) {
    // Providers are functions and stay here; the child asks through them (credentials-request).
    const { credentials, logger, registryCredentials, ...settings } = options;
    this.settings = settings;
    this.credentials = credentials;
    this.registryCredentials = registryCredentials;
    this.logger = logger;
    this.last = initialStatus(settings);
  }

  get hasCredentials(): boolean {
    return this.credentials !== undefined;
  }

  get credentialRegistries(): string[] {
    return Object.keys(this.registryCredentials ?? {});
  }

  logLevel(): LogLevelName {
    return (this.logger?.level as LogLevelName | undefined) ?? 'silent';
  }

  async start(listen: { host: string; port: number }): Promise<{ host: string; port: number }> {
    const bound = await this.process.call(this, 'start', listen);
    this.wanted = bound;
    return bound;
  }

  async stop(): Promise<void> {
    this.wanted = null;
    // A process that is down serves nothing; stopping then means only "do not listen again".
    if (this.process.down) return;
    await this.process.call(this, 'stop', {});
  }

  /** The engine's last status; a dead process is the app's problem, joined in by the mirror runner. */
  status(): MirrorStatus {
    return this.last;
  }

  subscribe(listener: (event: MirrorEvent) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  listCache(): Promise<CachedRepository[]> {
    return this.process.call(this, 'listCache', {});
  }

  async deleteImage(registry: string, repository: string, reference?: string): Promise<void> {
    await this.process.call(this, 'deleteImage', reference === undefined ? { registry, repository } : { registry, repository, reference });
  }

  async clearCache(): Promise<void> {
    await this.process.call(this, 'clearCache', {});
  }

  async pinImage(registry: string, repository: string, tag: string, pinned: boolean): Promise<void> {
    await this.process.call(this, 'pinImage', { registry, repository, tag, pinned });
  }

  refreshKept(image?: string): Promise<KeptImageStatus[]> {
    return this.process.call(this, 'refreshKept', image === undefined ? {} : { image });
  }

  setKeepWarm(settings: KeepWarmSettings): Promise<KeptImageStatus[]> {
    return this.process.call(this, 'setKeepWarm', { settings });
  }

  startPrefetch(images: string[]): Promise<PrefetchStatus> {
    return this.process.call(this, 'startPrefetch', { images });
  }

  expiryPreview(expireAfterMs?: number | null): Promise<ExpiryPreview> {
    return this.process.call(this, 'expiryPreview', expireAfterMs === undefined ? {} : { expireAfterMs });
  }

  /** From the process: a fresh snapshot. */
  receiveStatus(status: MirrorStatus): void {
    this.last = status;
  }

  receiveEvent(event: MirrorEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  /** From the process: it died, so nothing is served until it is back. */
  lost(): void {
    const { listen: _listen, ...rest } = this.last;
    this.last = { ...rest, serving: false };
  }

  /** From the process, once restarted: serve again where it served before, if it did. */
  async revive(): Promise<void> {
    const wanted = this.wanted;
    if (wanted) await this.start(wanted);
    else await this.process.call(this, 'status', {});
  }
}

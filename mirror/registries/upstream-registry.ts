// One registry the mirror serves (docker.io, ghcr.io …): its upstream clients, its
// private-repository rule, its blob and manifest services over the shared store, its API
// handlers, and what is known about its upstream (reachability, last error, rate limit).
// Records are keyed by the registry's name, so pointing it at another upstream keeps the cache.
// Constructing it does no I/O.
import { AccessPolicy } from '../access-policy.js';
import { BlobService } from '../blobs/blob-service.js';
import type { HealthProblems } from '../health.js';
import { RegistryHandlers } from '../http/registry-handlers.js';
import type { RegistryEndpoint } from '../http/server.js';
import { ManifestService } from '../manifests/manifest-service.js';
import type { CredentialsProvider, RateLimitState, RegistryStatus } from '../public-types.js';
import type { BlobStore } from '../store/blob-store.js';
import type { CacheGuard } from '../store/cache-guard.js';
import { registryKey } from '../store/paths.js';
import type { RecordStore } from '../store/records.js';
import { cachedCredentials } from '../upstream/cached-credentials.js';
import { UpstreamClient } from '../upstream/client.js';
import type { UpstreamTimeouts } from '../upstream/timeouts.js';
import type { RegistryConfig } from './registry-list.js';

/** What every registry shares: the store, the clock, the engine's problems and hooks. */
export interface SharedParts {
  store: BlobStore;
  records: RecordStore;
  guard: CacheGuard;
  problems: HealthProblems;
  now: () => number;
  tagTtlMs: number;
  timeouts: UpstreamTimeouts;
  ownAddresses: () => { host: string; port: number }[];
  clientAuth?: { username: string; password: string } | null;
  servePrivateToAnyone?: boolean;
  onUpstreamBytes: (bytes: number) => void;
  onUpstreamPull: () => void;
  onStored: () => void;
  onWriteError: (error: unknown) => void;
  onStale: (registry: string, repository: string, reference: string, reason: string) => void;
}

export class UpstreamRegistry implements RegistryEndpoint {
  readonly name: string;
  readonly key: string;
  readonly upstream: UpstreamClient;
  readonly blobs: BlobService;
  readonly manifests: ManifestService;
  readonly handlers: RegistryHandlers;
  readonly access: AccessPolicy;
  private readonly anonymousUpstream: UpstreamClient;
  private reachable: boolean | null = null;
  private lastError: string | null = null;
  private rateLimit: RateLimitState | null = null;
  private throttled: RegistryStatus['throttled'] = null;
  private requests = 0;
  private upstreamPulls = 0;

  constructor(
    readonly config: RegistryConfig,
    shared: SharedParts,
    credentialsSource: CredentialsProvider | undefined,
  ) {
    const { name } = config;
    this.name = name;
    this.key = registryKey(name);
    const { problems, now, timeouts, ownAddresses } = shared;
    const credentials = cachedCredentials(credentialsSource);
    const host = config.upstream.host;
    // What clients read in errors: Docker Hub by its name, the others as they call them.
    const displayName = name === 'docker.io' ? 'Docker Hub' : name;
    this.upstream = new UpstreamClient({
      baseUrl: config.upstream,
      displayName,
      credentials,
      timeouts,
      now,
      ownAddresses,
      onCredentialsProblem: (message) => (message ? problems.raise('upstream-credentials', message, name) : problems.clear('upstream-credentials', name)),
      onRateLimit: (state) => (this.rateLimit = state),
      onThrottled: (retryAfterSeconds) => {
        this.throttled = { at: new Date(now()).toISOString(), retryAfterSeconds };
        problems.raise('rate-limited', rateLimitedSentence(name, retryAfterSeconds), name);
      },
      onReachability: (reachable, reason) => {
        this.reachable = reachable;
        if (reachable) {
          this.lastError = null;
          problems.clear('upstream-unreachable', name);
          return;
        }
        this.lastError = `${host} cannot be reached (${reason})`;
        problems.raise('upstream-unreachable', `The upstream registry of ${name}, ${host}, cannot be reached (${reason}); cached images are still served.`, name);
      },
    });
    this.anonymousUpstream = new UpstreamClient({ baseUrl: config.upstream, displayName, timeouts, now, ownAddresses });
    this.access = new AccessPolicy({
      clientAuth: shared.clientAuth,
      servePrivateToAnyone: shared.servePrivateToAnyone,
      hasUpstreamCredentials: async () => Boolean(await credentials?.get()),
      anonymousUpstream: this.anonymousUpstream,
      ownerUpstream: this.upstream,
      now,
      remembered: {
        read: (repository) => shared.records.readPublicity(this.key, repository),
        write: (repository, answer) => shared.records.writePublicity(this.key, repository, answer),
      },
    });
    this.blobs = new BlobService({
      registry: this.key,
      store: shared.store,
      records: shared.records,
      upstream: this.upstream,
      guard: shared.guard,
      onUpstreamBytes: shared.onUpstreamBytes,
      onStored: shared.onStored,
    });
    this.manifests = new ManifestService({
      registry: this.key,
      store: shared.store,
      records: shared.records,
      upstream: this.upstream,
      tagTtlMs: shared.tagTtlMs,
      now,
      onUpstreamPull: () => {
        this.upstreamPulls++;
        shared.onUpstreamPull();
      },
      onWriteError: shared.onWriteError,
      onStale: (repository, reference, reason) => shared.onStale(name, repository, reference, reason),
    });
    this.handlers = new RegistryHandlers({ registry: this.key, manifests: this.manifests, blobs: this.blobs, records: shared.records, upstream: this.upstream });
  }

  /** Counts one answered request; a fresh manifest from the upstream ends a 429 episode. */
  answered(kind: string, status: number, cache: string, problems: HealthProblems): void {
    this.requests++;
    if (kind === 'manifest' && status === 200 && (cache === 'miss' || cache === 'revalidated')) problems.clear('rate-limited', this.name);
  }

  get pullsFromUpstream(): number {
    return this.upstreamPulls;
  }

  get dockerHubRateLimit(): RateLimitState | null {
    return this.rateLimit;
  }

  status(): RegistryStatus {
    return {
      name: this.name,
      upstream: this.config.upstream.href.replace(/\/$/, ''),
      enabled: this.config.enabled,
      reachable: this.reachable,
      lastError: this.lastError,
      rateLimit: this.rateLimit,
      throttled: this.throttled,
      requests: this.requests,
      upstreamPulls: this.upstreamPulls,
    };
  }

  async close(): Promise<void> {
    await this.blobs.settle();
    await this.upstream.close();
    await this.anonymousUpstream.close();
  }
}

function rateLimitedSentence(name: string, retryAfterSeconds: number | null): string {
  const retry = retryAfterSeconds === null ? '' : ` (it asks to wait ${retryAfterSeconds} s)`;
  if (name === 'docker.io') return `Docker Hub's pull rate limit was reached${retry}; cached images are still served. Adding Docker Hub credentials raises the limit.`;
  return `The upstream registry of ${name} answers "too many requests"${retry}; cached images are still served.`;
}

// The data the engine hands to its hosts (CLI, desktop core, headless UI). Plain JSON-safe
// shapes only, so they cross IPC and HTTP unchanged; nothing here may ever carry a secret.

export type { CacheControlMethods, ExpiryPreview, KeepWarmImage, KeepWarmSettings, KeptImageStatus, NightlyWindow, PrefetchImageStatus, PrefetchStatus } from './keep/keep-warm-types.js';
export type { HostRouteReply, HostRouteRequest, HostRoutes } from './http/host-route-types.js';
export type { CacheResult, HostRouteEvent, MirrorEvent, PullEvent, RequestEvent, RequestKind } from './event-types.js';
export type { PullProgressEvent } from './pull-progress-types.js';
import type { MirrorEvent } from './event-types.js';
import type { CacheControlMethods, KeepWarmSettings, KeptImageStatus, PrefetchStatus } from './keep/keep-warm-types.js';
import type { HostRoutes } from './http/host-route-types.js';

/** What "test credentials" learned: the pull limit the upstream states, and whether it asked for a login at all. */
export interface CredentialProbe {
  rateLimit: RateLimitState | null;
  /** False when the upstream never asked for authentication, so the credentials were not tried. */
  loginAsked: boolean;
}

export interface RateLimitState {
  limit: number;
  remaining: number;
  windowSeconds: number;
  /** `docker-ratelimit-source`: the IP or account Docker Hub counts against. */
  source?: string;
  observedAt: string;
}

export interface MirrorCounters {
  requests: number;
  hits: number;
  misses: number;
  bytesFromCache: number;
  bytesFromUpstream: number;
  /** Manifest GETs sent upstream: what Docker Hub counts as pulls. */
  upstreamPulls: number;
  /** Pulls (manifest GETs by tag or digest) answered to clients. */
  pullsServed: number;
}

/** What the engine itself finds wrong; the app adds its own codes (main/shared/contract.ts). */
export type HealthProblemCode =
  | 'cache-not-writable'
  | 'disk-full'
  | 'upstream-unreachable'
  | 'rate-limited'
  /** The upstream's token service rejected the owner's credentials, or they were withheld from an unsafe one. */
  | 'upstream-credentials'
  /** Only pinned (or in-use) content is left and it is over the size cap (store/eviction.ts). */
  | 'cache-over-cap';

export interface HealthProblem {
  code: HealthProblemCode;
  /** A plain sentence for people. */
  message: string;
  since: string;
  /** The upstream registry the problem is about (`docker.io`, `ghcr.io`), for per-registry problems. */
  registry?: string;
}

/** One registry the mirror serves, by the name clients use, as the engine sees it now. */
export interface RegistryStatus {
  name: string;
  upstream: string;
  enabled: boolean;
  /** Null until the upstream was asked; then whether its last request reached it. */
  reachable: boolean | null;
  /** The last failure to reach the upstream, as a sentence; null once a request reached it. */
  lastError: string | null;
  /** Docker Hub's `ratelimit-*` headers, when the upstream sends them. */
  rateLimit: RateLimitState | null;
  /** The upstream's last 429 (its own rate limit), with its Retry-After when it gave one. */
  throttled: { at: string; retryAfterSeconds: number | null } | null;
  /** Requests answered for this registry, and manifest GETs sent to its upstream. */
  requests: number;
  upstreamPulls: number;
}

export interface MirrorStatus {
  serving: boolean;
  listen?: { host: string; port: number };
  /** docker.io's upstream URL (`--upstream`). */
  upstream: string;
  /** Every registry the mirror knows, enabled or not. */
  registries: RegistryStatus[];
  cache: { path: string; bytes: number; maxBytes: number | null; blobs: number };
  counters: MirrorCounters;
  /** docker.io's rate limit, as Docker Hub reports it. */
  rateLimit: RateLimitState | null;
  problems: HealthProblem[];
  /** The keep-warm list and how each image's last refresh went; absent when nothing is kept warm. */
  keepWarm?: KeptImageStatus[];
  /** The last prefetch started from the window, per image and layer; absent before the first. */
  prefetch?: PrefetchStatus;
  /** Whether clients must log in: the engine was given a client password. */
  clientLogin?: boolean;
}

export interface CachedImage {
  /** Tag, or digest for manifests cached by digest only. */
  reference: string;
  digest: string;
  mediaType: string;
  /** Bytes of the manifest and every blob it names that the cache holds. */
  bytes: number;
  /** Of `bytes`, what no other cached image uses (what deleting this image frees). */
  uniqueBytes: number;
  /** Of `bytes`, what other cached images use too. */
  sharedBytes: number;
  /** The platforms the cache holds for it ("linux/amd64"); empty for a single-platform manifest. */
  platforms: string[];
  lastPulled: string | null;
  /** How many different client addresses pulled it, where a host counts them (the app does). */
  pulledByHosts?: number;
  /** Pinned by the owner or on the keep-warm list: the size cap and expiry never remove it. */
  pinned: boolean;
  /** On the keep-warm list. */
  keptWarm: boolean;
}

export interface CachedRepository {
  registry: string;
  repository: string;
  images: CachedImage[];
  bytes: number;
  lastPulled: string | null;
}

/** Docker Hub (or team registry) credentials. `secret` is an access token or password. */
export interface UpstreamCredentials {
  username: string;
  secret: string;
}

/** Where the engine gets credentials; asked on each token request so a change applies at once. */
export interface CredentialsProvider {
  get(): Promise<UpstreamCredentials | null>;
}

/** A registry to add, or a built-in one to point elsewhere or turn off. */
export interface RegistryOption {
  /** What clients say: `ghcr.io`, `registry.example.com:5000`. */
  name: string;
  /** Default https://<name> (https://registry-1.docker.io for docker.io). */
  upstream?: string;
  /** Default true. */
  enabled?: boolean;
}

export interface MirrorOptions {
  cacheDir: string;
  /** docker.io's upstream (a team mirror, say); default https://registry-1.docker.io. */
  upstream?: string;
  /** The registry `upstream` and `credentials` are for, as clients name it; default `docker.io`. */
  registryName?: string;
  /** Registries added to the built-in list, or built-in ones pointed elsewhere or turned off. */
  registries?: RegistryOption[];
  /** False leaves the built-in list out: only `upstream` and `registries` are served. */
  defaultRegistries?: boolean;
  /** Credentials per registry name; each goes only to that registry's own realm. */
  registryCredentials?: Record<string, CredentialsProvider>;
  /** How long a fetched tag is answered without asking the upstream (ms, default 60 000). */
  tagTtlMs?: number;
  /** Cache size cap in bytes; null or absent means no cap. */
  maxSizeBytes?: number | null;
  /** Images nobody pulled for this long are removed, pinned ones never; null or absent: no expiry. */
  expireAfterMs?: number | null;
  /** Images refreshed on a schedule and pinned (mirror/keep/keep-warm.ts). */
  keepWarm?: KeepWarmSettings;
  /** Credentials for `registryName` (docker.io by default). */
  credentials?: CredentialsProvider;
  /** A pino logger; the engine logs one line per request and per pull. */
  logger?: import('pino').Logger;
  /** Caching stops (pulls stream straight through) when the cache disk has less free space; default 1 GB. */
  minFreeBytes?: number;
  /** Mirror client authentication: LAN hosts log in with this (Basic challenge). */
  clientAuth?: { username: string; password: string } | null;
  /**
   * With upstream credentials, repositories anonymous users cannot pull are served only to
   * clients that logged in to the mirror — unless this is true.
   */
  servePrivateToAnyone?: boolean;
  /**
   * Limits against slow or stalled peers. Clients (slowloris): `headersMs` (default 15 s) and
   * `requestMs` (30 s) to send a request. Upstream: `upstreamConnectMs` (10 s) to connect and
   * `upstreamIdleMs` (30 s) of silence before a request is given up, then retried or resumed.
   * Clients that stop reading: `sendMs` (30 s) without their socket taking a byte destroys the answer.
   * An upstream that drips: `upstreamDeadlineMs` (30 s) for a whole manifest, token or tag list
   * exchange, retries included, and for a blob's headers; a blob body must bring
   * `upstreamProgressMinBytes` (64 KiB) in every `upstreamProgressWindowMs` (30 s) it is read.
   */
  httpTimeouts?: {
    headersMs?: number;
    requestMs?: number;
    sendMs?: number;
    upstreamConnectMs?: number;
    upstreamIdleMs?: number;
    upstreamDeadlineMs?: number;
    upstreamProgressWindowMs?: number;
    upstreamProgressMinBytes?: number;
  };
  /**
   * Connections the HTTP front holds: `perClient` per client address (default 64; more are answered
   * 429 and closed) and `total` (default: the process's open-file limit less 128, kept for the
   * store's files and upstream sockets; more are closed as they arrive).
   */
  connectionLimits?: { perClient?: number; total?: number };
  /** CIDRs whose clients are served; default: loopback, RFC 1918, unique-local, link-local. */
  allowlist?: string[];
  /**
   * The clock (ms since the epoch, default Date.now) behind every decision that depends on the
   * time: the tag TTL and tag records, LRU order, caching pauses after a failed write, token and
   * publicity expiry, and when a health problem began. Elapsed times in events (durationMs,
   * upstreamMs) and timeouts measure the real clock. Not settable across a process boundary.
   */
  now?: () => number;
  /** Routes the host serves on the mirror's port (setup scripts); not settable across a process boundary. */
  hostRoutes?: HostRoutes;
}

/** What `createMirror(options)` in mirror/index.ts returns. Constructing it does no I/O. */
export interface MirrorEngine extends CacheControlMethods {
  /** Opens the store and starts listening; resolves with the bound address (port 0 → real port). */
  start(listen: { host: string; port: number }): Promise<{ host: string; port: number }>;
  /** Stops accepting, lets in-flight responses finish for a grace period, then closes. */
  stop(): Promise<void>;
  status(): MirrorStatus;
  /** Every request and pull event; returns the unsubscribe function. */
  subscribe(listener: (event: MirrorEvent) => void): () => void;
  listCache(): Promise<CachedRepository[]>;
  /** Deletes one tag (or the whole repository when reference is absent) and blobs nothing else uses. */
  deleteImage(registry: string, repository: string, reference?: string): Promise<void>;
  clearCache(): Promise<void>;
  /** Pins or unpins a cached tag: the size cap and expiry never remove a pinned image or the blobs it uses. */
  pinImage(registry: string, repository: string, tag: string, pinned: boolean): Promise<void>;
}

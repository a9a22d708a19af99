// The data the engine hands to its hosts (CLI, desktop core, headless UI). Plain JSON-safe
// shapes only, so they cross IPC and HTTP unchanged; nothing here may ever carry a secret.

/** How a request was answered with respect to the cache. */
export type CacheResult = 'hit' | 'miss' | 'coalesced' | 'revalidated' | 'stale' | 'none';

export type RequestKind = 'base' | 'manifest' | 'blob' | 'tags' | 'catalog' | 'metrics' | 'health' | 'other';

export interface RequestEvent {
  type: 'request';
  id: string;
  /** ISO-8601 time the request arrived. */
  time: string;
  client: string;
  method: string;
  kind: RequestKind;
  /** Repository as the client named it after `library/` normalisation, e.g. `library/nginx`. */
  repository?: string;
  /** Tag or digest. */
  reference?: string;
  status: number;
  bytes: number;
  durationMs: number;
  cache: CacheResult;
  /** Time spent waiting on the upstream, when the upstream was asked. */
  upstreamMs?: number;
  /** Set when the answer was an error, for the log and the UI. */
  errorCode?: string;
}

/** One client's pull of one image, summarised once its requests go quiet. */
export interface PullEvent {
  type: 'pull';
  id: string;
  /** ISO-8601 time of the first request of the pull. */
  time: string;
  client: string;
  repository: string;
  /** The tag or digest the pull started from. */
  reference: string;
  blobs: number;
  blobsFromCache: number;
  bytes: number;
  durationMs: number;
  /** False when any request of the pull failed. */
  ok: boolean;
  requestIds: string[];
  /** "10.0.0.21 pulled library/nginx:latest — 7 blobs, 68 MB, 5 from cache, 1.2 s" */
  summary: string;
}

/** Something a host route announced (a LAN host reporting its setup), passed to subscribers as is. */
export interface HostRouteEvent {
  type: 'host-route';
  id: string;
  time: string;
  client: string;
  /** Whether the allowlist serves the client. */
  allowed: boolean;
  /** What the host route calls it, e.g. `setup-report`. */
  name: string;
  /** Short printable fields the host route chose; never a secret. */
  detail: Record<string, string>;
}

export type MirrorEvent = RequestEvent | PullEvent | HostRouteEvent;

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
  | 'upstream-credentials';

export interface HealthProblem {
  code: HealthProblemCode;
  /** A plain sentence for people. */
  message: string;
  since: string;
}

export interface MirrorStatus {
  serving: boolean;
  listen?: { host: string; port: number };
  upstream: string;
  cache: { path: string; bytes: number; maxBytes: number | null; blobs: number };
  counters: MirrorCounters;
  rateLimit: RateLimitState | null;
  problems: HealthProblem[];
}

export interface CachedImage {
  /** Tag, or digest for manifests cached by digest only. */
  reference: string;
  digest: string;
  mediaType: string;
  /** Bytes of the manifest and every blob it names that the cache holds. */
  bytes: number;
  lastPulled: string | null;
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

export interface MirrorOptions {
  cacheDir: string;
  /** Base URL of the upstream registry, default https://registry-1.docker.io. */
  upstream?: string;
  /**
   * The registry the upstream is, as clients name it (containerd's `ns`); default `docker.io` for
   * Docker Hub, else the upstream's host:port. Set it when the upstream stands in for another.
   */
  registryName?: string;
  /** How long a fetched tag is answered without asking the upstream (ms, default 60 000). */
  tagTtlMs?: number;
  /** Cache size cap in bytes; null or absent means no cap. */
  maxSizeBytes?: number | null;
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
export interface MirrorEngine {
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
}

/** A request a host-provided route answers (setup scripts): the parts it may read, nothing live. */
export interface HostRouteRequest {
  method: string;
  /** The path without the query, e.g. `/setup/docker`. */
  path: string;
  query: string;
  /** The Host header as sent, unchecked: a route must never put it into an answer unvalidated. */
  hostHeader: string | undefined;
  /** The mirror's own address and port the request arrived on. */
  local: { address: string; port: number };
  /** The client's address, as shown in events. */
  client: string;
  /** Whether the allowlist serves this client (host routes are answered either way). */
  allowed: boolean;
  /** The request body, read up to `maxBodyBytes`. */
  body: Buffer;
}

export interface HostRouteReply {
  status: number;
  contentType: string;
  body: string;
  headers?: Record<string, string>;
  /** Passed to the engine's subscribers as a HostRouteEvent (so it crosses to the app like any event). */
  announce?: { name: string; detail: Record<string, string> };
}

/**
 * Routes the host adds to the mirror's port, outside the registry API (`/setup` …). They are
 * answered before the allowlist, so a refused host can still fetch a script that tells it why;
 * they must never answer with a secret.
 */
export interface HostRoutes {
  /** Path prefix the routes own, e.g. `/setup`; only this path and paths below it are routed here. */
  prefix: string;
  /** Largest request body accepted (bytes); more is answered 413. */
  maxBodyBytes: number;
  handle(request: HostRouteRequest): Promise<HostRouteReply>;
}

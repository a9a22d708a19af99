// The one contract between the app core and any window that shows it: the Electron preload
// exposes it over IPC, the headless mode over HTTP/JSON + Server-Sent Events. The renderer
// imports only these types and never knows which host it runs in. Every payload is plain JSON
// and none carries a secret back to the window.
import type { CachedRepository, ExpiryPreview, HealthProblem, HealthProblemCode, KeepWarmImage, KeptImageStatus, MirrorEvent, MirrorStatus, NightlyWindow, PrefetchStatus } from '../../mirror/public-types.js';

// The engine defines its events (it cannot import the app); the window reads them only through here.
export type { CachedRepository, HealthProblem, MirrorEvent, MirrorStatus };
export type { CacheResult, MirrorCounters, PullEvent, PullProgressEvent, RequestEvent } from '../../mirror/public-types.js';
export type { ExpiryPreview, KeepWarmImage, KeptImageStatus, NightlyWindow, PrefetchStatus };
export type { PrefetchImageStatus } from '../../mirror/public-types.js';

/** The keep-warm list and when it is refreshed, as the app keeps it in its settings. */
export interface KeepWarmSetting {
  images: KeepWarmImage[];
  /** Every this many hours (1 to 168), unless `nightly` is set. */
  everyHours: number;
  /** Once a night inside this local-time window (`02:00`-`05:00`) instead of every N hours. */
  nightly: NightlyWindow | null;
}

/** Problems only the app can have: the engine never raises these, so they live here, not in its types. */
export type AppOwnProblemCode =
  | 'port-in-use'
  | 'keychain-unavailable'
  | 'start-failed'
  /** The allowlist refuses an address the app lists for LAN hosts (lan-addresses.ts). */
  | 'allowlist-refuses-lan'
  /** The app runs the engine in its own process, and that process died (it is restarted). */
  | 'engine-crashed'
  /** A cache folder change that failed and was undone. */
  | 'cache-move-failed'
  /** A stored setting that the current rules refuse, so the mirror waits until it is corrected. */
  | 'settings-invalid';

/** The engine's problems plus the app's own. */
export type AppProblemCode = HealthProblemCode | AppOwnProblemCode;

export interface AppProblem extends Omit<HealthProblem, 'code'> {
  code: AppProblemCode;
}

/** The engine's status as the app shows it: its problems joined by those of the process it runs in and its port. */
export interface AppMirrorStatus extends Omit<MirrorStatus, 'problems'> {
  problems: AppProblem[];
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** One registry the mirror serves, by the name clients use; docker.io's upstream is `upstream`. */
export interface RegistrySetting {
  name: string;
  /** Where the mirror fetches it; null for the default (https://<name>). Always null for docker.io. */
  upstream: string | null;
  enabled: boolean;
}

export interface AppSettings {
  cachePath: string;
  /** Bytes; null = no cap. */
  maxSizeBytes: number | null;
  /** Bytes the cache disk keeps free: below it, pulls stream through without caching. */
  minFreeBytes: number;
  /** Address to listen on: '0.0.0.0', '::', '127.0.0.1' or one interface's address. */
  listenHost: string;
  port: number;
  /** docker.io's upstream: Docker Hub, or a team mirror. */
  upstream: string;
  /** Every registry the mirror knows (the built-in list, then the user's), enabled or not. */
  registries: RegistrySetting[];
  tagTtlSeconds: number;
  /** CIDRs allowed to use the mirror. */
  allowlist: string[];
  /** Mirror client authentication; the password itself lives in the keychain only. */
  clientAuth: { enabled: boolean; username: string };
  startMirrorOnLaunch: boolean;
  launchAtLogin: boolean;
  logLevel: LogLevel;
  /** Images kept warm (pinned and refreshed on the schedule). */
  keepWarm: KeepWarmSetting;
  /** Remove images nobody pulled for this many days (never pinned or kept ones); null: never. */
  expireAfterDays: number | null;
}

export interface CredentialStatus {
  keychainAvailable: boolean;
  /** The Docker Hub user whose token is saved, or null. Never the token. */
  savedFor: string | null;
  /** The user saved for each other registry that has credentials (`ghcr.io` → `alice`). Never a token. */
  registries?: Record<string, string>;
  /** A plain sentence when something is wrong (e.g. no Secret Service on this desktop). */
  message?: string;
}

export interface CredentialTestResult {
  ok: boolean;
  /** "Signed in as alice: 200 pulls per 6 hours" or why it failed, in plain words. */
  message: string;
  rateLimit?: { limit: number; windowSeconds: number };
}

export interface HostAddress {
  interfaceName: string;
  address: string;
  family: 'IPv4' | 'IPv6';
  /** e.g. http://192.168.1.20:5000 (IPv6 in brackets). */
  mirrorUrl: string;
}

export interface PathCheck {
  path: string;
  ok: boolean;
  writable: boolean;
  freeBytes: number | null;
  /** Whether the folder already holds a Dockmirror cache. */
  holdsCache: boolean;
  message: string;
}

export interface DirectoryListing {
  path: string;
  parent: string | null;
  entries: { name: string; path: string }[];
}

export interface RecentClient {
  address: string;
  lastSeen: string;
  pulls: number;
}

export interface AppState {
  settings: AppSettings;
  mirror: AppMirrorStatus;
  credentials: CredentialStatus;
  addresses: HostAddress[];
  /** Problems in plain words: the mirror's own plus the app's (port taken, keychain missing, a failed move). */
  problems: AppProblem[];
  /** When the chosen port was taken, the next free one. */
  suggestedPort?: number;
  /** What the window says that is not a problem: a port chosen on first run, where the tray went. */
  notices?: AppNotice[];
  /** LAN hosts that ran a setup script or pulled, newest first (connected-hosts.ts). */
  connectedHosts?: ConnectedHost[];
}

/** A LAN host that ran a setup script or pulled through the mirror (main/core/connected-hosts.ts). */
export interface ConnectedHost {
  address: string;
  hostname: string;
  runtime: string;
  version: string;
  /** When its setup script last reported (ISO-8601), or null for a host that only pulled. */
  setUpAt: string | null;
  lastPullAt: string | null;
  pulls: number;
  bytesServed: number;
  /** The allowlist refused its last request: `fix` says which entry to add. */
  refused: boolean;
  fix: string | null;
  lastSeenAt: string;
}

export interface AppNotice {
  code: 'port-chosen' | 'no-tray';
  /** A plain sentence for people. */
  message: string;
}

export type CacheMoveMode = 'move' | 'empty';

export interface DockmirrorApi {
  getState(): Promise<AppState>;
  startMirror(): Promise<AppState>;
  stopMirror(): Promise<AppState>;
  /** Validated in the core; an invalid value is rejected with a plain sentence. */
  updateSettings(patch: Partial<AppSettings>): Promise<AppState>;

  /** `registry` defaults to docker.io; each registry has one account in the keychain. */
  saveCredentials(username: string, token: string, registry?: string): Promise<CredentialStatus>;
  testCredentials(registry?: string): Promise<CredentialTestResult>;
  deleteCredentials(registry?: string): Promise<CredentialStatus>;
  /** Mirror client auth password, stored in the keychain. */
  setClientPassword(password: string): Promise<AppState>;

  /** Native folder picker in Electron; null in the headless host (use listDirectory). */
  pickFolder(): Promise<string | null>;
  listDirectory(path: string): Promise<DirectoryListing>;
  checkCachePath(path: string): Promise<PathCheck>;
  changeCachePath(path: string, mode: CacheMoveMode): Promise<AppState>;
  openCacheFolder(): Promise<void>;

  listCache(): Promise<CachedRepository[]>;
  deleteCachedImage(registry: string, repository: string, reference?: string): Promise<CachedRepository[]>;
  clearCache(): Promise<CachedRepository[]>;
  /** Pins or unpins a cached tag: the size cap and expiry never remove a pinned image. */
  pinCachedImage(registry: string, repository: string, tag: string, pinned: boolean): Promise<CachedRepository[]>;

  /**
   * Puts an image on the keep-warm list (`keep` true, with all platforms or the chosen ones) or
   * takes it off. `name` as people write it (`nginx:1.27`, `ghcr.io/acme/api:2`), or as the Cache
   * view names a cached image.
   */
  keepImageWarm(name: string, keep: boolean, platforms?: string[] | null): Promise<AppState>;
  /** Refreshes every kept image now, or the one named `registry/repository:tag`; resolves with each one's result. */
  refreshKeptImages(image?: string): Promise<KeptImageStatus[]>;
  /**
   * Pulls into the cache, with no host involved, every image in `text`: a pasted list, a
   * docker-compose.yml, Kubernetes YAML or a Dockerfile (`fileName`, a base name only, helps tell
   * which). Returns at once; `state.mirror.prefetch` shows progress per image and layer.
   */
  startPrefetch(text: string, fileName?: string): Promise<PrefetchStatus>;
  /** What expiry (the setting) would remove now: a dry run, nothing is removed. */
  expiryPreview(): Promise<ExpiryPreview>;

  /** The ring buffer of recent events, oldest first, so a new window shows the last pulls. */
  recentEvents(): Promise<MirrorEvent[]>;
  recentClients(): Promise<RecentClient[]>;

  onEvent(listener: (event: MirrorEvent) => void): () => void;
  onState(listener: (state: AppState) => void): () => void;
}

/** What a failed call carries across IPC or HTTP: a plain sentence and a stable code. */
export interface ApiError {
  code: string;
  message: string;
}

// The keep-warm list and what the engine says of each kept image: plain JSON-safe shapes that
// cross to the hosts (CLI, app core, window) unchanged, re-exported by public-types.ts.
import type { NightlyWindow } from './schedule.js';
import type { PrefetchStatus } from './prefetch-job.js';

export type { NightlyWindow, PrefetchStatus };
export type { PrefetchImageStatus } from './prefetch-job.js';

/** One line of the keep-warm list. */
export interface KeepWarmImage {
  /** As clients name it: `docker.io`, `ghcr.io`. */
  registry: string;
  repository: string;
  tag: string;
  /** `os/arch[/variant]` to keep from a multi-platform image; null keeps every platform. */
  platforms: string[] | null;
}

export interface KeepWarmSettings {
  images: KeepWarmImage[];
  /** How often every kept image is refreshed, in ms (default 6 h). */
  everyMs?: number;
  /** The share (0–1) of the pulls the upstream says are left that one refresh may spend (default 0.5). */
  budgetShare?: number;
  /** Refresh once a night inside this local-time window instead of every `everyMs`. */
  nightly?: NightlyWindow | null;
}

/** One image on the keep-warm list, for the window and `status()`. */
export interface KeptImageStatus {
  /** `registry/repository:tag`. */
  image: string;
  platforms: string[] | null;
  lastRefresh: string | null;
  nextRefresh: string | null;
  /** waiting: not refreshed yet; budget: left for the next run; paused: after a 429, until Retry-After. */
  result: 'waiting' | 'unchanged' | 'updated' | 'repaired' | 'failed' | 'budget' | 'paused';
  /** A plain sentence about the result. */
  detail: string | null;
}

/** What expiry would remove now (a dry run): never pinned or kept images, never a blob a remaining image uses. */
export interface ExpiryPreview {
  /** The expiry in force, in ms; null when expiry is off (then nothing would be removed). */
  expireAfterMs: number | null;
  images: number;
  bytes: number;
}

/** The engine's cache controls beyond the basics; MirrorEngine extends this (public-types.ts). */
export interface CacheControlMethods {
  /** Refreshes every kept-warm image now, or the one named `registry/repository:tag`; resolves with how each went. */
  refreshKept(image?: string): Promise<KeptImageStatus[]>;
  /** Replaces the keep-warm list and schedule while running: no restart, and past results of images still listed stay. */
  setKeepWarm(settings: KeepWarmSettings): Promise<KeptImageStatus[]>;
  /** Starts pulling images into the cache with no host involved; progress shows in `status().prefetch`. */
  startPrefetch(images: string[]): Promise<PrefetchStatus>;
  /** What expiry after `expireAfterMs` (default: the engine's own) would remove now; nothing is removed. */
  expiryPreview(expireAfterMs?: number | null): Promise<ExpiryPreview>;
}

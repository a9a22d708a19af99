// The keep-warm list and what the engine says of each kept image: plain JSON-safe shapes that
// cross to the hosts (CLI, app core, window) unchanged, re-exported by public-types.ts.

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

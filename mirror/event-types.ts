// What the engine tells its subscribers as it answers (re-exported by public-types.ts): each
// request, each pull while it runs and once it is done, and what host routes announce. Plain
// JSON-safe shapes; none carries a secret.
import type { PullProgressEvent } from './pull-progress-types.js';

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
  /** The registry the request was for, by the name clients use (`docker.io`, `ghcr.io`). */
  registry?: string;
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
  /** The client's hostname when its host reported it (joined by the app, not the engine). */
  hostname?: string;
  /** The manifest's layer count and sizes, when the pull fetched an image manifest. */
  layersTotal?: number;
  bytesTotal?: number;
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

export type MirrorEvent = RequestEvent | PullEvent | PullProgressEvent | HostRouteEvent;

// What the Docker Hub stand-in (hub.ts) is configured with, counts and can be told to break.
export type HubAuthMode = 'bearer' | 'basic' | 'none';

export interface HubUser {
  username: string;
  /** The password or access token the user presents with HTTP Basic. */
  password: string;
}

export interface HubOptions {
  /** The distribution instance holding the images, e.g. `http://127.0.0.1:5000`. */
  registryUrl: string;
  /**
   * `bearer` (default): Docker Hub's token flow via a separate realm server.
   * `basic`: a team registry that challenges with Basic on every request (public repos too).
   * `none`: no auth at all.
   */
  auth?: HubAuthMode;
  /** Where the token realm is: `registry-origin` (default, path /token) or `own-server` (its own port). */
  realm?: 'registry-origin' | 'own-server';
  /** The `service` of the Bearer challenge. Default `registry.docker.io`. */
  service?: string;
  /** Accounts known to the token realm (bearer) or the registry (basic). Default: one, see DEFAULT_HUB_USER. */
  users?: HubUser[];
  /** Repositories (e.g. `dockmirror/private-test`) only a known user may pull. */
  privateRepositories?: string[];
  /** Token lifetime, reported as `expires_in`. Default 300 s. */
  tokenExpiresInSeconds?: number;
  /** Counted pulls per source before 429. Defaults: 100 anonymous (per IP), 200 per user. */
  anonymousPullLimit?: number;
  userPullLimit?: number;
  /** `Retry-After` on a 429, in seconds. Default 3600. */
  retryAfterSeconds?: number;
  /** Answer blob GETs with a 307 to the CDN (default true); false serves blobs from the registry. */
  redirectBlobs?: boolean;
  /** The clock for token and URL expiry, in ms since the epoch. Default Date.now. */
  now?: () => number;
  /**
   * distribution's storage root: the CDN then reads blob bodies from its files instead of
   * relaying them over HTTP (the benchmark's setting; tests leave it unset so every byte and
   * check goes through distribution).
   */
  blobStorageRoot?: string;
  /**
   * Serve all three servers over https with this key and certificate (the benchmark's https
   * row: Docker Hub's registry and CDN are https). Unset: plain http.
   */
  tls?: { key: Buffer; cert: Buffer };
}

export const DEFAULT_HUB_USER: HubUser = { username: 'dockmirror-tester', password: 'dckr_pat_test-secret-0001' };

export const RATE_LIMIT_WINDOW_SECONDS = 21600;

export type HubServerName = 'registry' | 'auth' | 'cdn';

export interface SeenRequest {
  server: HubServerName;
  method: string;
  /** Path and query as received. */
  url: string;
  authorization: 'none' | 'bearer' | 'basic' | 'other';
  /** The user named by a Basic header (never the password). */
  basicUser?: string;
  /** Set once the answer was sent; absent while in flight or when the connection was cut early. */
  status?: number;
}

export interface TokenRequest {
  method: 'GET' | 'POST';
  /** The user who authenticated, null for anonymous; wrong credentials show the name they tried. */
  username: string | null;
  scopes: string[];
  /** Repositories the issued token may pull; empty when refused. */
  granted: string[];
  status: number;
}

export interface HubStats {
  /** Counted pulls (manifest GETs that passed auth and the limit), by repository. */
  manifestGets: Record<string, number>;
  /** Manifest HEADs (never counted as pulls), by repository. */
  manifestHeads: Record<string, number>;
  /** Manifest GETs refused with 429, by repository. */
  rateLimited: Record<string, number>;
  /** Blob GETs at the registry (each answered with a 307 or served), by digest. */
  blobGets: Record<string, number>;
  blobHeads: Record<string, number>;
  /** Blob GETs the CDN served (after the signature check), by digest. */
  cdnGets: Record<string, number>;
  /** Blob body bytes actually written to clients (CDN or registry), by digest. */
  blobBytesSent: Record<string, number>;
  totalBlobBytesSent: number;
  tokenRequests: TokenRequest[];
  requests: SeenRequest[];
}

/** A fault applied to a matching request. Bodies: blob bytes at the CDN, manifest bytes at the registry. */
export type HubFault =
  /** Send the headers and the first `afterBytes` body bytes, then destroy the connection. */
  | { kind: 'cut'; afterBytes: number }
  /** Send the headers and the first `afterBytes` body bytes, then go silent with the connection open. */
  | { kind: 'hold'; afterBytes: number }
  /** Send bytes of the right length but the wrong content. */
  | { kind: 'corrupt' }
  /** Answer with this status (e.g. 500, 502, 503) and an error body. */
  | { kind: 'status'; status: number }
  /** Wait before answering normally. */
  | { kind: 'delay'; ms: number }
  /** Never answer (the connection stays open until the client gives up or the hub stops). */
  | { kind: 'stall' };

/** `reset`: accept and immediately close connections. `refuse`: stop listening (ECONNREFUSED). */
export type HubDownMode = 'reset' | 'refuse';

export interface FaultRule {
  fault: HubFault;
  remaining: number;
}

export interface TokenClaims {
  sub: string | null;
  /** Repositories this token may pull. */
  pull: string[];
  /** Expiry, ms since the epoch. */
  exp: number;
}

export interface Principal {
  username: string | null;
  /** What the rate limit is counted against: the user, or the client's IP. */
  source: string;
}

export const NAME = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
export const DIGEST = /^sha256:[a-f0-9]{64}$/;
export const RELAYED_HEADERS = [
  'content-type',
  'content-length',
  'content-range',
  'accept-ranges',
  'docker-content-digest',
  'docker-distribution-api-version',
  'etag',
  'link',
];

export function emptyStats(): HubStats {
  return {
    manifestGets: {},
    manifestHeads: {},
    rateLimited: {},
    blobGets: {},
    blobHeads: {},
    cdnGets: {},
    blobBytesSent: {},
    totalBlobBytesSent: 0,
    tokenRequests: [],
    requests: [],
  };
}

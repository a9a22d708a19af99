// The routes a host adds to the mirror's port (setup scripts): what such a route may read of a
// request and what it answers. Re-exported by public-types.ts.

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

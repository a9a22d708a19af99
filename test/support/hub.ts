// A Docker Hub stand-in on loopback, fronting a distribution instance. Three servers like the real
// thing: the registry (registry-1.docker.io), the token realm (auth.docker.io) and a blob CDN
// (production.cloudflare.docker.com) that serves signed URLs and, like S3, rejects any request that
// also carries an Authorization header. The stand-in speaks plain http unless given `tls`, and a
// mirror sends credentials over plain http only to the upstream's own origin, so by default the
// token realm is served on the registry's origin (as team registries do); `realm: 'own-server'`
// puts it on its own port like auth.docker.io. It counts what reaches it and can inject faults,
// so mirror tests can prove what a second client cost upstream and how failures are handled.
// Split by server: hub-realm.ts, hub-registry.ts and hub-cdn.ts; hub-plumbing.ts holds the state.
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { LinkShaper } from './link-shaper.js';
import { listenOnLoopback, listenOnPort } from './ports.js';
import { HubCdn } from './hub-cdn.js';
import { authorizationKind, parseBasic, registryError } from './hub-http.js';
import { emptyStats, type HubDownMode, type HubFault, type HubOptions, type HubServerName, type HubStats, type HubUser, type SeenRequest } from './hub-types.js';

export * from './hub-types.js';

export class HubStandIn extends HubCdn {
  private readonly servers: Record<HubServerName, Server>;
  private started = false;

  constructor(options: HubOptions) {
    super(options);
    this.servers = {
      registry: this.makeServer('registry', (req, res) => this.handleRegistry(req, res)),
      auth: this.makeServer('auth', (req, res) => this.handleAuth(req, res)),
      cdn: this.makeServer('cdn', (req, res) => this.handleCdn(req, res)),
    };
  }

  // ----- lifecycle -------------------------------------------------------------------------------

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    for (const name of ['registry', 'auth', 'cdn'] as const) this.ports[name] = await listenOnLoopback(this.servers[name]);
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    for (const res of this.stalled) res.destroy();
    this.stalled.clear();
    await Promise.all(
      Object.values(this.servers).map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
    for (const socket of this.sockets) socket.destroy();
    this.agent.destroy();
  }


  get service(): string {
    return this.options.service;
  }

  get users(): readonly HubUser[] {
    return this.options.users;
  }

  // ----- counters --------------------------------------------------------------------------------

  /** A deep copy of the counters, safe to keep and compare. */
  stats(): HubStats {
    return structuredClone(this.statsData);
  }

  /** Every token the realm handed out, so tests can look for them where they must not be. */
  issuedTokens(): string[] {
    return [...this.tokensIssued];
  }

  resetStats(): void {
    this.statsData = emptyStats();
  }

  /** Counted pulls of one repository, or of all. */
  countedPulls(repository?: string): number {
    const gets = this.statsData.manifestGets;
    return repository !== undefined ? (gets[repository] ?? 0) : Object.values(gets).reduce((a, b) => a + b, 0);
  }

  /** Forgets the pulls counted against every source, and optionally sets new limits. */
  resetRateLimits(limits: { anonymous?: number; user?: number } = {}): void {
    this.pullsUsed.clear();
    if (limits.anonymous !== undefined) this.anonymousLimit = limits.anonymous;
    if (limits.user !== undefined) this.userLimit = limits.user;
  }

  /** Sends every blob body through one link of this bandwidth (bytes per second); null: as fast as loopback goes. */
  setBlobLinkRate(bytesPerSecond: number | null): void {
    this.blobLink = bytesPerSecond === null ? undefined : new LinkShaper(bytesPerSecond);
  }

  // ----- faults ----------------------------------------------------------------------------------

  /** Applies `fault` to the next `times` GETs of this blob (default: every one until cleared). */
  injectBlobFault(digest: string, fault: HubFault, times = Number.POSITIVE_INFINITY): void {
    const rules = this.blobFaults.get(digest) ?? [];
    rules.push({ fault, remaining: times });
    this.blobFaults.set(digest, rules);
  }

  /** Applies `fault` to the next `times` manifest GETs/HEADs of this repository. */
  injectManifestFault(repository: string, fault: HubFault, times = Number.POSITIVE_INFINITY): void {
    const rules = this.manifestFaults.get(repository) ?? [];
    rules.push({ fault, remaining: times });
    this.manifestFaults.set(repository, rules);
  }

  clearFaults(): void {
    this.blobFaults.clear();
    this.manifestFaults.clear();
  }

  /** Takes all three servers down (or back up with `false`), keeping their ports. */
  async setDown(mode: HubDownMode | false): Promise<void> {
    const previous = this.down;
    this.down = mode;
    if (mode !== false) {
      for (const server of Object.values(this.servers)) server.closeAllConnections();
      for (const socket of this.sockets) socket.destroy();
      for (const res of this.stalled) res.destroy();
      this.stalled.clear();
    }
    if (mode === 'refuse' && previous !== 'refuse') {
      await Promise.all(Object.values(this.servers).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    }
    if (mode !== 'refuse' && previous === 'refuse') {
      for (const name of ['registry', 'auth', 'cdn'] as const) await listenOnPort(this.servers[name], this.ports[name]);
    }
  }


  // ----- plumbing --------------------------------------------------------------------------------

  private makeServer(name: HubServerName, handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Server {
    const listener: RequestListener = (req, res) => {
      const isRealm = name === 'registry' && this.options.realm === 'registry-origin' && /^\/token(\?|$)/.test(req.url ?? '');
      const seen: SeenRequest = {
        server: isRealm ? 'auth' : name,
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        authorization: authorizationKind(req.headers.authorization),
      };
      const basic = parseBasic(req.headers.authorization);
      if (basic) seen.basicUser = basic.username;
      this.statsData.requests.push(seen);
      res.on('finish', () => {
        seen.status = res.statusCode;
      });
      (isRealm ? this.handleAuth(req, res) : handler(req, res)).catch((error: unknown) => {
        if (!res.headersSent) {
          registryError(res, 502, 'UNAVAILABLE', `The hub stand-in could not reach its registry: ${String(error)}`);
        } else {
          res.destroy();
        }
      });
    };
    const tls = this.options.tls;
    const server = tls ? createHttpsServer(tls, listener) : createServer(listener);
    // Over TLS, 'connection' is the TCP socket: destroying it is what the down modes need too.
    server.on('connection', (socket: Socket) => {
      if (this.down !== false) {
        socket.destroy();
        return;
      }
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    return server;
  }

}

/** Creates and starts a hub stand-in. */
export async function startHub(options: HubOptions): Promise<HubStandIn> {
  const hub = new HubStandIn(options);
  try {
    await hub.start();
  } catch (error) {
    await hub.stop();
    throw error;
  }
  return hub;
}


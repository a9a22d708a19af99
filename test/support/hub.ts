// A Docker Hub stand-in on loopback, fronting a distribution instance. Three servers like the real
// thing: the registry (registry-1.docker.io), the token realm (auth.docker.io) and a blob CDN
// (production.cloudflare.docker.com) that serves signed URLs and, like S3, rejects any request that
// also carries an Authorization header. The stand-in speaks plain http, and a mirror sends
// credentials over plain http only to the upstream's own origin, so by default the token realm
// is served on the registry's origin (as team registries do); `realm: 'own-server'` puts it on
// its own port like auth.docker.io. It counts what reaches it and can inject faults, so mirror
// tests can prove what a second client cost upstream and how failures are handled.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Agent, createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { LinkShaper } from './link-shaper.js';
import { listenOnLoopback, listenOnPort } from './ports.js';
import { openStoredBlob, type StoredBlobBody } from './stored-blob.js';

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

interface FaultRule {
  fault: HubFault;
  remaining: number;
}

interface TokenClaims {
  sub: string | null;
  /** Repositories this token may pull. */
  pull: string[];
  /** Expiry, ms since the epoch. */
  exp: number;
}

interface Principal {
  username: string | null;
  /** What the rate limit is counted against: the user, or the client's IP. */
  source: string;
}

const NAME = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const RELAYED_HEADERS = [
  'content-type',
  'content-length',
  'content-range',
  'accept-ranges',
  'docker-content-digest',
  'docker-distribution-api-version',
  'etag',
  'link',
];

function emptyStats(): HubStats {
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

function bump(counter: Record<string, number>, key: string, by = 1): void {
  counter[key] = (counter[key] ?? 0) + by;
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

function parseBasic(header: string | undefined): { username: string; password: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function authorizationKind(header: string | undefined): SeenRequest['authorization'] {
  if (header === undefined) return 'none';
  if (/^Bearer\s/i.test(header)) return 'bearer';
  if (/^Basic\s/i.test(header)) return 'basic';
  return 'other';
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function clientAddress(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? 'unknown';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(bytes.length), ...headers });
  res.end(bytes);
}

function registryError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}, detail?: unknown): void {
  sendJson(res, status, { errors: [{ code, message, detail: detail ?? null }] }, {
    'docker-distribution-api-version': 'registry/2.0',
    ...headers,
  });
}

export class HubStandIn {
  private readonly options: Required<Omit<HubOptions, 'privateRepositories' | 'users' | 'blobStorageRoot'>> & {
    blobStorageRoot: string | undefined;
    users: HubUser[];
    privateRepositories: Set<string>;
  };
  private readonly secret = randomBytes(32);
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private readonly servers: Record<HubServerName, Server>;
  private readonly ports: Record<HubServerName, number> = { registry: 0, auth: 0, cdn: 0 };
  private readonly sockets = new Set<Socket>();
  private readonly stalled = new Set<ServerResponse>();
  private readonly blobFaults = new Map<string, FaultRule[]>();
  private readonly manifestFaults = new Map<string, FaultRule[]>();
  private readonly pullsUsed = new Map<string, number>();
  /** Kept apart from stats(), whose copies tests print freely. */
  private readonly tokensIssued: string[] = [];
  private anonymousLimit: number;
  private userLimit: number;
  private down: HubDownMode | false = false;
  private statsData: HubStats = emptyStats();
  private started = false;
  private blobLink: LinkShaper | undefined;

  constructor(options: HubOptions) {
    this.options = {
      registryUrl: options.registryUrl.replace(/\/+$/, ''),
      auth: options.auth ?? 'bearer',
      service: options.service ?? 'registry.docker.io',
      realm: options.realm ?? 'registry-origin',
      users: options.users ?? [DEFAULT_HUB_USER],
      privateRepositories: new Set(options.privateRepositories ?? []),
      tokenExpiresInSeconds: options.tokenExpiresInSeconds ?? 300,
      anonymousPullLimit: options.anonymousPullLimit ?? 100,
      userPullLimit: options.userPullLimit ?? 200,
      retryAfterSeconds: options.retryAfterSeconds ?? 3600,
      redirectBlobs: options.redirectBlobs ?? true,
      blobStorageRoot: options.blobStorageRoot,
      now: options.now ?? Date.now,
    };
    this.anonymousLimit = this.options.anonymousPullLimit;
    this.userLimit = this.options.userPullLimit;
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

  /** The registry, e.g. `http://127.0.0.1:41234` (what a mirror uses as its upstream). */
  get url(): string {
    return `http://127.0.0.1:${this.ports.registry}`;
  }

  /** The token realm as it appears in the Bearer challenge. */
  get realm(): string {
    return this.options.realm === 'own-server' ? `http://127.0.0.1:${this.ports.auth}/token` : `${this.url}/token`;
  }

  get authUrl(): string {
    return `http://127.0.0.1:${this.ports.auth}`;
  }

  get cdnUrl(): string {
    return `http://127.0.0.1:${this.ports.cdn}`;
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

  private takeFault(rules: Map<string, FaultRule[]>, key: string): HubFault | undefined {
    const list = rules.get(key);
    const rule = list?.find((candidate) => candidate.remaining > 0);
    if (!rule) return undefined;
    rule.remaining -= 1;
    return rule.fault;
  }

  // ----- plumbing --------------------------------------------------------------------------------

  private makeServer(name: HubServerName, handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Server {
    const server = createServer((req, res) => {
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
    });
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

  /** Forwards a request to distribution and resolves with its (unread) response. */
  private backend(method: string, path: string, headers: Record<string, string | undefined>): Promise<IncomingMessage> {
    const clean: Record<string, string> = {};
    for (const [key, value] of Object.entries(headers)) if (value !== undefined) clean[key] = value;
    return new Promise((resolve, reject) => {
      const req = request(`${this.options.registryUrl}${path}`, { method, headers: clean, agent: this.agent }, resolve);
      req.on('error', reject);
      req.end();
    });
  }

  /**
   * Relays a backend response, applying a body fault if one is set. `onBytes` sees every body byte
   * actually written, so counters reflect what reached the client, not what we meant to send.
   */
  private relay(
    upstream: IncomingMessage | StoredBlobBody,
    res: ServerResponse,
    method: string,
    fault: HubFault | undefined,
    onBytes: (n: number) => void,
    link?: LinkShaper,
  ): Promise<void> {
    const headers: Record<string, string> = {};
    for (const name of RELAYED_HEADERS) {
      const value = upstream.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    for (const [key, value] of Object.entries(res.getHeaders())) if (typeof value === 'string') headers[key] = value;
    res.writeHead(upstream.statusCode ?? 502, headers);
    if (method === 'HEAD') {
      upstream.resume();
      res.end();
      return Promise.resolve();
    }
    let budget = fault?.kind === 'cut' || fault?.kind === 'hold' ? fault.afterBytes : Number.POSITIVE_INFINITY;
    return new Promise((resolve) => {
      const finish = (): void => resolve();
      // Both a full socket and the link's schedule hold the body back; it flows once neither does.
      let holds = 0;
      const holdUntil = (released: Promise<unknown>): void => {
        if (holds++ === 0) upstream.pause();
        void released.then(() => {
          if (--holds === 0) upstream.resume();
        });
      };
      res.on('close', () => {
        this.stalled.delete(res);
        upstream.destroy();
        finish();
      });
      upstream.on('error', () => {
        res.destroy();
        finish();
      });
      upstream.on('data', (chunk: Buffer) => {
        let out = chunk;
        if (budget !== Number.POSITIVE_INFINITY) {
          out = chunk.subarray(0, Math.max(0, budget));
          budget -= out.length;
        }
        if (fault?.kind === 'corrupt') out = Buffer.from(out.map((byte) => byte ^ 0x5a));
        if (out.length > 0) {
          onBytes(out.length);
          if (!res.write(out)) holdUntil(new Promise((resolve) => res.once('drain', resolve)));
          const wait = link?.book(out.length) ?? 0;
          if (wait > 0) holdUntil(new Promise((resolve) => setTimeout(resolve, wait)));
        }
        if (budget <= 0 && fault?.kind === 'hold') {
          upstream.destroy();
          this.stalled.add(res);
          return;
        }
        if (budget <= 0) {
          // Flush what we promised, then drop the connection mid-body like a broken network would.
          res.socket?.end();
          setImmediate(() => res.destroy());
          upstream.destroy();
        }
      });
      upstream.on('end', () => {
        res.end();
      });
    });
  }

  /** Runs the status/delay/stall part of a fault; true when the request was answered (or parked). */
  private async preFault(fault: HubFault | undefined, res: ServerResponse): Promise<boolean> {
    if (!fault) return false;
    if (fault.kind === 'delay') {
      await new Promise((resolve) => setTimeout(resolve, fault.ms));
      return false;
    }
    if (fault.kind === 'stall') {
      this.stalled.add(res);
      res.on('close', () => this.stalled.delete(res));
      return true;
    }
    if (fault.kind === 'status') {
      // An injected 429 looks like Docker Hub's: its code and a Retry-After.
      if (fault.status === 429) registryError(res, 429, 'TOOMANYREQUESTS', 'Injected failure 429.', { 'retry-after': String(this.options.retryAfterSeconds ?? 3600) });
      else registryError(res, fault.status, fault.status === 503 ? 'UNAVAILABLE' : 'UNKNOWN', `Injected failure ${fault.status}.`);
      return true;
    }
    return false;
  }

  // ----- token realm (auth.docker.io) --------------------------------------------------------------

  private issueToken(claims: TokenClaims): string {
    const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const payload = base64url(JSON.stringify(claims));
    const signature = createHmac('sha256', this.secret).update(`${header}.${payload}`).digest('base64url');
    return `${header}.${payload}.${signature}`;
  }

  private readToken(token: string): TokenClaims | undefined {
    const [header, payload, signature] = token.split('.');
    if (!header || !payload || !signature) return undefined;
    const expected = createHmac('sha256', this.secret).update(`${header}.${payload}`).digest('base64url');
    if (!sameSecret(signature, expected)) return undefined;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenClaims;
    return claims.exp > this.options.now() ? claims : undefined;
  }

  private checkUser(username: string, password: string): boolean {
    return this.options.users.some((user) => user.username === username && sameSecret(user.password, password));
  }

  private async handleAuth(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.authUrl);
    if (url.pathname !== '/token' || (req.method !== 'GET' && req.method !== 'POST')) {
      sendJson(res, 404, { details: 'Not found.' });
      return;
    }
    let params = url.searchParams;
    let credentials = parseBasic(req.headers.authorization);
    if (req.method === 'POST') {
      // The OAuth2 form containerd and others use when they hold a password.
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      params = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const grant = params.get('grant_type');
      if (grant !== 'password') {
        sendJson(res, 400, { error: 'unsupported_grant_type', details: `The grant type ${grant ?? '(none)'} is not supported here.` });
        return;
      }
      credentials = { username: params.get('username') ?? '', password: params.get('password') ?? '' };
    }
    const scopes = params.getAll('scope').flatMap((scope) => scope.split(' ')).filter((scope) => scope.length > 0);
    const record: TokenRequest = { method: req.method, username: credentials?.username ?? null, scopes, granted: [], status: 0 };
    this.statsData.tokenRequests.push(record);
    const reply = (status: number, body: unknown): void => {
      record.status = status;
      sendJson(res, status, body);
    };
    if (params.get('service') !== this.options.service) {
      reply(400, { details: `The service must be ${this.options.service}.` });
      return;
    }
    if (credentials && !this.checkUser(credentials.username, credentials.password)) {
      reply(401, { details: 'incorrect username or password' });
      return;
    }
    const username = credentials?.username ?? null;
    for (const scope of scopes) {
      const first = scope.indexOf(':');
      const last = scope.lastIndexOf(':');
      if (first < 0 || last <= first) continue;
      const type = scope.slice(0, first);
      const name = scope.slice(first + 1, last);
      const actions = scope.slice(last + 1).split(',');
      if (type !== 'repository' || !actions.includes('pull') || !NAME.test(name)) continue;
      // Like Docker Hub: an anonymous token is still issued, it just does not open private repos.
      if (this.options.privateRepositories.has(name) && username === null) continue;
      record.granted.push(name);
    }
    const issuedAt = this.options.now();
    const expiresIn = this.options.tokenExpiresInSeconds;
    const token = this.issueToken({ sub: username, pull: record.granted, exp: issuedAt + expiresIn * 1000 });
    this.tokensIssued.push(token);
    reply(200, { token, access_token: token, expires_in: expiresIn, issued_at: new Date(issuedAt).toISOString() });
  }

  // ----- registry (registry-1.docker.io) -----------------------------------------------------------

  private challenge(repository: string | undefined, error?: string): Record<string, string> {
    if (this.options.auth === 'basic') return { 'www-authenticate': 'Basic realm="Dockmirror test registry"' };
    const parts = [`realm="${this.realm}"`, `service="${this.options.service}"`];
    if (repository !== undefined) parts.push(`scope="repository:${repository}:pull"`);
    if (error !== undefined) parts.push(`error="${error}"`);
    return { 'www-authenticate': `Bearer ${parts.join(',')}` };
  }

  /** Who is asking, or undefined after a 401 was sent. */
  private authenticate(req: IncomingMessage, res: ServerResponse, repository: string | undefined): Principal | undefined {
    const address = clientAddress(req);
    const header = req.headers.authorization;
    const deny = (error?: string): undefined => {
      const detail = repository !== undefined ? [{ Type: 'repository', Class: '', Name: repository, Action: 'pull' }] : null;
      registryError(res, 401, 'UNAUTHORIZED', 'authentication required', this.challenge(repository, error), detail);
      return undefined;
    };
    if (this.options.auth === 'none') return { username: null, source: address };
    if (this.options.auth === 'basic') {
      const basic = parseBasic(header);
      if (!basic || !this.checkUser(basic.username, basic.password)) return deny();
      return { username: basic.username, source: basic.username };
    }
    const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
    const claims = match?.[1] ? this.readToken(match[1]) : undefined;
    if (!claims) return deny(match ? 'invalid_token' : undefined);
    if (repository !== undefined && !claims.pull.includes(repository)) return deny('insufficient_scope');
    return { username: claims.sub, source: claims.sub ?? address };
  }

  private rateHeaders(principal: Principal, remaining: number, limit: number): Record<string, string> {
    return {
      'ratelimit-limit': `${limit};w=${RATE_LIMIT_WINDOW_SECONDS}`,
      'ratelimit-remaining': `${Math.max(0, remaining)};w=${RATE_LIMIT_WINDOW_SECONDS}`,
      'docker-ratelimit-source': principal.source,
    };
  }

  private async handleRegistry(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', this.url);
    const path = url.pathname;
    if (path === '/v2/' || path === '/v2') {
      if (!this.authenticate(req, res, undefined)) return;
      sendJson(res, 200, {}, { 'docker-distribution-api-version': 'registry/2.0' });
      return;
    }
    const match = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(path) ?? /^\/v2\/(.+)\/(tags)\/(list)$/.exec(path);
    if (!match?.[1] || !match[2] || !match[3] || !NAME.test(match[1])) {
      registryError(res, 404, 'NOT_FOUND', 'The hub stand-in does not serve this path.');
      return;
    }
    const [, repository, kind, reference] = match;
    if (method !== 'GET' && method !== 'HEAD') {
      registryError(res, 405, 'UNSUPPORTED', 'The hub stand-in only serves pulls.');
      return;
    }
    const principal = this.authenticate(req, res, repository);
    if (!principal) return;
    if (kind === 'manifests') return this.serveManifest(req, res, method, repository, reference, principal);
    if (kind === 'tags') {
      const upstream = await this.backend('GET', `/v2/${repository}/tags/list${url.search}`, {});
      await this.relay(upstream, res, method, undefined, () => undefined);
      return;
    }
    if (!DIGEST.test(reference)) {
      registryError(res, 400, 'DIGEST_INVALID', 'provided digest did not match uploaded content');
      return;
    }
    return this.serveBlob(req, res, method, repository, reference);
  }

  private async serveManifest(req: IncomingMessage, res: ServerResponse, method: string, repository: string, reference: string, principal: Principal): Promise<void> {
    const limit = principal.username !== null ? this.userLimit : this.anonymousLimit;
    const used = this.pullsUsed.get(principal.source) ?? 0;
    if (method === 'GET') {
      if (used >= limit) {
        bump(this.statsData.rateLimited, repository);
        registryError(
          res,
          429,
          'TOOMANYREQUESTS',
          'You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit',
          { ...this.rateHeaders(principal, 0, limit), 'retry-after': String(this.options.retryAfterSeconds) },
        );
        return;
      }
      this.pullsUsed.set(principal.source, used + 1);
      bump(this.statsData.manifestGets, repository);
    } else {
      bump(this.statsData.manifestHeads, repository);
    }
    const remaining = limit - (this.pullsUsed.get(principal.source) ?? 0);
    const fault = this.takeFault(this.manifestFaults, repository);
    if (await this.preFault(fault, res)) return;
    const upstream = await this.backend(method, `/v2/${repository}/manifests/${reference}`, { accept: req.headers.accept });
    for (const [key, value] of Object.entries(this.rateHeaders(principal, remaining, limit))) res.setHeader(key, value);
    await this.relay(upstream, res, method, fault, () => undefined);
  }

  private async serveBlob(req: IncomingMessage, res: ServerResponse, method: string, repository: string, digest: string): Promise<void> {
    if (method === 'HEAD') {
      bump(this.statsData.blobHeads, digest);
      const upstream = await this.backend('HEAD', `/v2/${repository}/blobs/${digest}`, {});
      await this.relay(upstream, res, 'HEAD', undefined, () => undefined);
      return;
    }
    bump(this.statsData.blobGets, digest);
    if (!this.options.redirectBlobs) return this.sendBlob(req, res, repository, digest);
    const location = this.signedBlobUrl(repository, digest);
    const body = Buffer.from(`<a href="${location.replace(/&/g, '&amp;')}">Temporary Redirect</a>.\n\n`);
    res.writeHead(307, {
      location,
      'content-type': 'text/html; charset=utf-8',
      'content-length': String(body.length),
      'docker-distribution-api-version': 'registry/2.0',
    });
    res.end(body);
  }

  // ----- CDN (production.cloudflare.docker.com) ----------------------------------------------------

  private signature(repository: string, digest: string, date: string, expires: string): string {
    return createHmac('sha256', this.secret).update(`cdn\n${repository}\n${digest}\n${date}\n${expires}`).digest('hex');
  }

  /** A signed, expiring CDN URL for one blob, shaped like Docker Hub's object-store links. */
  signedBlobUrl(repository: string, digest: string): string {
    const hex = digest.slice('sha256:'.length);
    const date = String(Math.floor(this.options.now() / 1000));
    const expires = '1200';
    const query = new URLSearchParams({
      'X-Dockmirror-Repository': repository,
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Date': date,
      'X-Amz-Expires': expires,
      'X-Amz-Signature': this.signature(repository, digest, date, expires),
    });
    return `${this.cdnUrl}/registry-v2/docker/registry/v2/blobs/sha256/${hex.slice(0, 2)}/${hex}/data?${query.toString()}`;
  }

  private async handleCdn(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const s3Error = (status: number, code: string, message: string): void => {
      const body = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`);
      res.writeHead(status, { 'content-type': 'application/xml', 'content-length': String(body.length) });
      res.end(body);
    };
    const url = new URL(req.url ?? '/', this.cdnUrl);
    const match = /^\/registry-v2\/docker\/registry\/v2\/blobs\/sha256\/([a-f0-9]{2})\/([a-f0-9]{64})\/data$/.exec(url.pathname);
    if (!match?.[2] || (req.method !== 'GET' && req.method !== 'HEAD')) {
      s3Error(404, 'NoSuchKey', 'The specified key does not exist.');
      return;
    }
    if (req.headers.authorization !== undefined) {
      s3Error(
        400,
        'InvalidArgument',
        'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
      );
      return;
    }
    const digest = `sha256:${match[2]}`;
    const repository = url.searchParams.get('X-Dockmirror-Repository') ?? '';
    const date = url.searchParams.get('X-Amz-Date') ?? '';
    const expires = url.searchParams.get('X-Amz-Expires') ?? '';
    const given = url.searchParams.get('X-Amz-Signature') ?? '';
    if (!NAME.test(repository) || !sameSecret(given, this.signature(repository, digest, date, expires))) {
      s3Error(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
      return;
    }
    if ((Number(date) + Number(expires)) * 1000 < this.options.now()) {
      s3Error(403, 'AccessDenied', 'Request has expired');
      return;
    }
    if (req.method === 'HEAD') {
      const upstream = await this.backend('HEAD', `/v2/${repository}/blobs/${digest}`, {});
      await this.relay(upstream, res, 'HEAD', undefined, () => undefined);
      return;
    }
    bump(this.statsData.cdnGets, digest);
    await this.sendBlob(req, res, repository, digest, this.options.blobStorageRoot);
  }

  /** `storageRoot`: read the body from distribution's files (the CDN, once it checked the signature). */
  private async sendBlob(req: IncomingMessage, res: ServerResponse, repository: string, digest: string, storageRoot?: string): Promise<void> {
    const fault = this.takeFault(this.blobFaults, digest);
    if (await this.preFault(fault, res)) return;
    const stored = storageRoot !== undefined ? await openStoredBlob(storageRoot, digest, req.headers.range) : undefined;
    const upstream = stored ?? (await this.backend('GET', `/v2/${repository}/blobs/${digest}`, { range: req.headers.range }));
    await this.relay(
      upstream,
      res,
      'GET',
      fault,
      (n) => {
        bump(this.statsData.blobBytesSent, digest, n);
        this.statsData.totalBlobBytesSent += n;
      },
      this.blobLink,
    );
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

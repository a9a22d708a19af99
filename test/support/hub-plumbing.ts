// The hub stand-in's state and the plumbing its servers share: forwarding to distribution, relaying
// bodies with their injected faults and link speed, and sending a blob.
import { randomBytes } from 'node:crypto';
import { Agent, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { LinkShaper } from './link-shaper.js';
import { openStoredBlob, type StoredBlobBody } from './stored-blob.js';
import { bump, registryError } from './hub-http.js';
import { DEFAULT_HUB_USER, emptyStats, RELAYED_HEADERS, type FaultRule, type HubDownMode, type HubFault, type HubOptions, type HubServerName, type HubStats, type HubUser } from './hub-types.js';

export abstract class HubPlumbing {
  protected readonly options: Required<Omit<HubOptions, 'privateRepositories' | 'users' | 'blobStorageRoot' | 'tls'>> & {
    blobStorageRoot: string | undefined;
    tls: HubOptions['tls'];
    users: HubUser[];
    privateRepositories: Set<string>;
  };
  protected readonly secret = randomBytes(32);
  protected readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  protected readonly ports: Record<HubServerName, number> = { registry: 0, auth: 0, cdn: 0 };
  protected readonly sockets = new Set<Socket>();
  protected readonly stalled = new Set<ServerResponse>();
  protected readonly blobFaults = new Map<string, FaultRule[]>();
  protected readonly manifestFaults = new Map<string, FaultRule[]>();
  protected readonly pullsUsed = new Map<string, number>();
  /** Kept apart from stats(), whose copies tests print freely. */
  protected readonly tokensIssued: string[] = [];
  protected anonymousLimit: number;
  protected userLimit: number;
  protected down: HubDownMode | false = false;
  protected statsData: HubStats = emptyStats();
  protected blobLink: LinkShaper | undefined;

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
      tls: options.tls,
      now: options.now ?? Date.now,
    };
    this.anonymousLimit = this.options.anonymousPullLimit;
    this.userLimit = this.options.userPullLimit;
  }

  /** The registry, e.g. `http://127.0.0.1:41234` (what a mirror uses as its upstream). */
  get url(): string {
    return this.origin('registry');
  }

  /** The token realm as it appears in the Bearer challenge. */
  get realm(): string {
    return `${this.options.realm === 'own-server' ? this.authUrl : this.url}/token`;
  }

  get authUrl(): string {
    return this.origin('auth');
  }

  get cdnUrl(): string {
    return this.origin('cdn');
  }

  private origin(server: HubServerName): string {
    return `${this.options.tls ? 'https' : 'http'}://127.0.0.1:${this.ports[server]}`;
  }


  protected takeFault(rules: Map<string, FaultRule[]>, key: string): HubFault | undefined {
    const list = rules.get(key);
    const rule = list?.find((candidate) => candidate.remaining > 0);
    if (!rule) return undefined;
    rule.remaining -= 1;
    return rule.fault;
  }

  /** Forwards a request to distribution and resolves with its (unread) response. */
  protected backend(method: string, path: string, headers: Record<string, string | undefined>): Promise<IncomingMessage> {
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
  protected relay(
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
        // A small blob's file can end in the same read that spent a hold's budget; ending the
        // answer then would close a Connection: close exchange, which is a cut, not a hold.
        if (!this.stalled.has(res)) res.end();
      });
    });
  }

  /** Runs the status/delay/stall part of a fault; true when the request was answered (or parked). */
  protected async preFault(fault: HubFault | undefined, res: ServerResponse): Promise<boolean> {
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
      if (fault.status === 429) registryError(res, 429, 'TOOMANYREQUESTS', 'Injected failure 429.', { 'retry-after': String(this.options.retryAfterSeconds) });
      else registryError(res, fault.status, fault.status === 503 ? 'UNAVAILABLE' : 'UNKNOWN', `Injected failure ${fault.status}.`);
      return true;
    }
    return false;
  }

  /** `storageRoot`: read the body from distribution's files (the CDN, once it checked the signature). */
  protected async sendBlob(req: IncomingMessage, res: ServerResponse, repository: string, digest: string, storageRoot?: string): Promise<void> {
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

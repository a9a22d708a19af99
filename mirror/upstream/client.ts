// The one place that talks to the upstream registry. It owns authentication (Bearer tokens per
// scope, Basic for registries that ask for it), blob redirects to CDN hosts, retries of
// idempotent requests, and the translation of every upstream failure into a RegistryError.
import type { Readable } from 'node:stream';
import { connectTimeoutCode, dump, idleTimeoutCode, UpstreamHttp, type HttpResponse } from './http-request.js';
import { RegistryError } from '../errors.js';
import type { CredentialsProvider, RateLimitState } from '../public-types.js';
import { parseChallenge, type Challenge } from './challenge.js';
import { manifestAcceptHeader, manifestMediaType } from './media-types.js';
import { readRateLimit } from './rate-limit.js';
import { TokenCache } from './token-cache.js';

type Headers = Record<string, string | string[] | undefined>;

export interface UpstreamReply {
  status: number;
  headers: Headers;
  body: Readable;
}

export interface UpstreamManifest {
  digest: string;
  mediaType: string;
  size: number;
  /** Absent for HEAD. */
  body?: Buffer;
}

export interface UpstreamClientOptions {
  baseUrl: URL;
  credentials?: CredentialsProvider;
  now?: () => number;
  onRateLimit?: (state: RateLimitState) => void;
  /** Called with true when a request reached the upstream, false when it could not. */
  onReachability?: (reachable: boolean, reason?: string) => void;
  retryDelaysMs?: number[];
  /** Defaults: 10 s to connect, 30 s of silence (waiting for headers or between body bytes). */
  timeouts?: { connectMs?: number; idleMs?: number };
}

/** Manifests are small; anything beyond this is not a manifest and is refused. */
const maxManifestBytes = 4 * 1024 * 1024;
const maxRedirects = 5;

export class UpstreamClient {
  private readonly tokens: TokenCache;
  /** Connect and idle timeouts, so a dead upstream fails a request in seconds, not minutes. */
  private readonly http: UpstreamHttp;
  private readonly now: () => number;
  private readonly retryDelaysMs: number[];
  /** The last challenge the upstream sent, so later requests authenticate up front. */
  private challenge: Challenge | null = null;

  constructor(private readonly options: UpstreamClientOptions) {
    this.now = options.now ?? Date.now;
    this.tokens = new TokenCache(this.now);
    this.retryDelaysMs = options.retryDelaysMs ?? [250, 1000];
    this.http = new UpstreamHttp({ connectMs: options.timeouts?.connectMs ?? 10_000, idleMs: this.idleMs });
  }

  get host(): string {
    return this.options.baseUrl.host;
  }

  /** Closes pooled connections; the client stays usable and reconnects on its next request. */
  async close(): Promise<void> {
    this.http.close();
  }

  private get idleMs(): number {
    return this.options.timeouts?.idleMs ?? 30_000;
  }

  /** Forgets cached tokens, e.g. after the credentials changed. */
  resetAuth(): void {
    this.tokens.clear();
    this.challenge = null;
  }

  async manifest(method: 'GET' | 'HEAD', repository: string, reference: string): Promise<UpstreamManifest> {
    const reply = await this.send(method, `/v2/${repository}/manifests/${reference}`, repository, {
      accept: manifestAcceptHeader,
    });
    const rateLimit = readRateLimit(reply.headers, new Date(this.now()));
    if (rateLimit) this.options.onRateLimit?.(rateLimit);
    if (reply.status === 404) {
      discard(reply.body);
      throw new RegistryError('MANIFEST_UNKNOWN', `manifest unknown: ${repository}:${reference} is not in the upstream registry`);
    }
    await this.expectSuccess(reply, repository);
    const digest = header(reply.headers, 'docker-content-digest');
    if (method === 'HEAD') {
      discard(reply.body);
      const size = Number(header(reply.headers, 'content-length'));
      if (!digest) {
        throw new RegistryError('UNAVAILABLE', `the upstream answered a manifest HEAD for ${repository}:${reference} without a digest`);
      }
      return { digest, mediaType: manifestMediaType(header(reply.headers, 'content-type')), size: Number.isFinite(size) ? size : 0 };
    }
    const body = await readLimited(reply.body, maxManifestBytes);
    return {
      digest: digest ?? '',
      mediaType: manifestMediaType(header(reply.headers, 'content-type'), body),
      size: body.length,
      body,
    };
  }

  /**
   * Starts a blob download from `fromByte` (to `toByte`, inclusive, when given); follows the CDN
   * redirect. The caller owns the body stream.
   */
  async blob(repository: string, digest: string, fromByte = 0, toByte?: number): Promise<UpstreamReply> {
    const ranged = fromByte > 0 || toByte !== undefined;
    const extra: Record<string, string> = ranged ? { range: `bytes=${fromByte}-${toByte ?? ''}` } : {};
    const reply = await this.send('GET', `/v2/${repository}/blobs/${digest}`, repository, extra);
    if (reply.status === 404) {
      discard(reply.body);
      throw new RegistryError('BLOB_UNKNOWN', `blob unknown: ${digest} is not in ${repository} upstream`);
    }
    await this.expectSuccess(reply, repository);
    if (ranged && reply.status !== 206) {
      discard(reply.body);
      throw new RegistryError('UNAVAILABLE', `the upstream ignored a range request for ${digest}`);
    }
    return reply;
  }

  /** A blob's size, asked with a HEAD: nothing is downloaded. Null when the upstream does not say. */
  async blobSize(repository: string, digest: string): Promise<number | null> {
    const reply = await this.send('HEAD', `/v2/${repository}/blobs/${digest}`, repository, {});
    if (reply.status === 404) {
      discard(reply.body);
      throw new RegistryError('BLOB_UNKNOWN', `blob unknown: ${digest} is not in ${repository} upstream`);
    }
    await this.expectSuccess(reply, repository);
    discard(reply.body);
    const length = header(reply.headers, 'content-length');
    return length !== undefined && /^\d{1,15}$/.test(length) ? Number(length) : null;
  }

  /** Whether the upstream serves this blob in this repository (HEAD: not counted as a pull). */
  async blobExists(repository: string, digest: string): Promise<boolean> {
    const reply = await this.send('HEAD', `/v2/${repository}/blobs/${digest}`, repository, {});
    discard(reply.body);
    if (reply.status === 404 || reply.status === 401 || reply.status === 403) return false;
    if (reply.status >= 200 && reply.status < 300) return true;
    throw await this.failure(reply, repository);
  }

  async tagsList(repository: string, query: string): Promise<{ body: Buffer; link?: string }> {
    const reply = await this.send('GET', `/v2/${repository}/tags/list${query}`, repository, {});
    if (reply.status === 404) {
      discard(reply.body);
      throw new RegistryError('NAME_UNKNOWN', `repository ${repository} is not known to the upstream registry`);
    }
    await this.expectSuccess(reply, repository);
    const body = await readLimited(reply.body, maxManifestBytes);
    return { body, link: header(reply.headers, 'link') };
  }

  /** One token request with the configured credentials, for "test credentials" in the app. */
  async probe(repository: string): Promise<{ rateLimit: RateLimitState | null }> {
    const reply = await this.send('HEAD', `/v2/${repository}/manifests/latest`, repository, { accept: manifestAcceptHeader });
    discard(reply.body);
    if (reply.status === 401) throw new RegistryError('UNAUTHORIZED', 'the upstream rejected the credentials');
    return { rateLimit: readRateLimit(reply.headers, new Date(this.now())) };
  }

  private async send(method: 'GET' | 'HEAD', path: string, repository: string, extra: Record<string, string>): Promise<UpstreamReply> {
    const scope = `repository:${repository}:pull`;
    let lastError: unknown;
    for (let attempt = 0; ; attempt++) {
      try {
        let reply = await this.authorizedRequest(method, path, scope, extra, false);
        if (reply.status === 401) {
          const challenge = parseChallenge(header(reply.headers, 'www-authenticate'));
          if (challenge) {
            discard(reply.body);
            this.challenge = challenge;
            reply = await this.authorizedRequest(method, path, scope, extra, true);
          }
        }
        if (reply.status >= 500 && attempt < this.retryDelaysMs.length) {
          discard(reply.body);
          lastError = new RegistryError('UNAVAILABLE', `the upstream registry ${this.host} answered ${reply.status}`);
          await delay(this.retryDelaysMs[attempt]!);
          continue;
        }
        this.options.onReachability?.(true);
        return reply;
      } catch (error) {
        if (error instanceof RegistryError) throw error;
        lastError = error;
        if (attempt >= this.retryDelaysMs.length) break;
        await delay(this.retryDelaysMs[attempt]!);
      }
    }
    if (lastError instanceof RegistryError) throw lastError;
    const reason = describeNetworkError(lastError, this.idleMs);
    this.options.onReachability?.(false, reason);
    throw new RegistryError('UNAVAILABLE', `the upstream registry ${this.host} is unreachable (${reason})`);
  }

  private async authorizedRequest(
    method: string,
    path: string,
    scope: string,
    extra: Record<string, string>,
    refreshToken: boolean,
  ): Promise<UpstreamReply> {
    const headers: Record<string, string> = { ...extra, 'user-agent': 'dockmirror' };
    const authorization = await this.authorization(scope, refreshToken);
    if (authorization) headers.authorization = authorization;
    let url = new URL(path, this.options.baseUrl);
    for (let hop = 0; ; hop++) {
      const response = await this.http.request(url, method, headers);
      const location = header(response.headers, 'location');
      if (response.statusCode >= 300 && response.statusCode < 400 && location && hop < maxRedirects) {
        await dump(response.body);
        const next = new URL(location, url);
        // A CDN's signed URL rejects a second auth mechanism, and a token must never leave
        // the registry it was issued for.
        if (next.origin !== url.origin) delete headers.authorization;
        url = next;
        continue;
      }
      return { status: response.statusCode, headers: response.headers, body: response.body };
    }
  }

  private async authorization(scope: string, refresh: boolean): Promise<string | undefined> {
    const challenge = this.challenge;
    if (!challenge) return undefined;
    const credentials = await this.options.credentials?.get();
    if (challenge.scheme === 'basic') {
      return credentials ? basic(credentials.username, credentials.secret) : undefined;
    }
    const realm = challenge.params.realm;
    if (!realm) return undefined;
    const service = challenge.params.service ?? '';
    const key = `${realm}|${service}|${scope}|${credentials?.username ?? ''}`;
    if (refresh) this.tokens.invalidate(key);
    const token = await this.tokens.obtain(key, () => this.fetchToken(realm, service, scope));
    return `Bearer ${token}`;
  }

  private async fetchToken(realm: string, service: string, scope: string): Promise<{ token: string; expiresIn?: number }> {
    const url = new URL(realm);
    if (service) url.searchParams.set('service', service);
    url.searchParams.set('scope', scope);
    const credentials = await this.options.credentials?.get();
    const headers: Record<string, string> = { 'user-agent': 'dockmirror' };
    if (credentials) headers.authorization = basic(credentials.username, credentials.secret);
    let response: HttpResponse;
    try {
      response = await this.http.request(url, 'GET', headers);
    } catch (error) {
      const reason = describeNetworkError(error, this.idleMs);
      this.options.onReachability?.(false, reason);
      throw new RegistryError('UNAVAILABLE', `the upstream's token service ${url.host} is unreachable (${reason})`);
    }
    if (response.statusCode === 401 || response.statusCode === 403) {
      await dump(response.body);
      throw new RegistryError(
        'UNAUTHORIZED',
        credentials
          ? `the upstream's token service rejected the credentials of ${credentials.username}`
          : `the upstream's token service refused an anonymous token for ${scope}`,
      );
    }
    if (response.statusCode !== 200) {
      await dump(response.body);
      throw new RegistryError('UNAVAILABLE', `the upstream's token service answered ${response.statusCode}`);
    }
    let body: { token?: string; access_token?: string; expires_in?: number };
    try {
      body = JSON.parse((await readLimited(response.body, maxManifestBytes)).toString('utf8')) as typeof body;
    } catch (error) {
      if (error instanceof RegistryError) throw error;
      throw new RegistryError('UNAVAILABLE', `the upstream's token service sent an answer that is not JSON`);
    }
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError('UNAVAILABLE', `the upstream's token service sent no token`);
    return { token, expiresIn: body.expires_in };
  }

  private async expectSuccess(reply: UpstreamReply, repository: string): Promise<void> {
    if (reply.status >= 200 && reply.status < 300) return;
    throw await this.failure(reply, repository);
  }

  /** Translates an upstream error answer into the mirror's own error. */
  private async failure(reply: UpstreamReply, repository: string): Promise<RegistryError> {
    const text = (await readLimited(reply.body, 64 * 1024).catch(() => Buffer.alloc(0))).toString('utf8');
    if (reply.status === 429) {
      const retryAfter = header(reply.headers, 'retry-after') ?? '60';
      return new RegistryError(
        'TOOMANYREQUESTS',
        `the Docker Hub pull rate limit was reached for this mirror's address (${this.host} said: ${upstreamMessage(text) ?? 'too many requests'}); cached images are still served, and adding Docker Hub credentials raises the limit`,
        { headers: { 'retry-after': retryAfter } },
      );
    }
    if (reply.status === 401) {
      return new RegistryError('UNAUTHORIZED', `the upstream refused access to ${repository}: it does not exist, or it is private and needs credentials`);
    }
    if (reply.status === 403) return new RegistryError('DENIED', `the upstream denied access to ${repository}`);
    return new RegistryError('UNAVAILABLE', `the upstream registry ${this.host} answered ${reply.status}${upstreamMessage(text) ? `: ${upstreamMessage(text)}` : ''}`);
  }
}

/** Drops a body we do not need: a small one is read to keep its connection, a large one cut. */
function discard(body: Readable): void {
  void dump(body);
}

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function basic(username: string, secret: string): string {
  return `Basic ${Buffer.from(`${username}:${secret}`).toString('base64')}`;
}

function upstreamMessage(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { errors?: { message?: string }[] };
    return parsed.errors?.[0]?.message;
  } catch {
    return undefined;
  }
}

function describeNetworkError(error: unknown, idleMs: number): string {
  const err = error as { code?: string; cause?: { code?: string }; message?: string };
  const code = err?.code ?? err?.cause?.code;
  // Our timeout codes mean nothing to the person reading the message.
  if (code === idleTimeoutCode) return `it did not answer within ${idleMs / 1000} s`;
  if (code === connectTimeoutCode) return 'connecting to it timed out';
  return code ?? err?.message ?? 'unknown error';
}

async function readLimited(body: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += (chunk as Buffer).length;
    if (total > limit) {
      body.destroy();
      throw new RegistryError('UNAVAILABLE', `the upstream sent more than ${limit} bytes where a manifest was expected`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

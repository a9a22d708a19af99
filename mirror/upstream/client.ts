// The one place that talks to the upstream registry: manifests, blobs and tag lists, with
// redirects followed only where DestinationPolicy allows, retries of idempotent requests within
// an overall deadline, and every upstream failure translated into a RegistryError.
// Authentication lives in auth.ts, manifest checks in manifest-check.ts.
import { RegistryError } from '../errors.js';
import type { CredentialProbe, CredentialsProvider, RateLimitState } from '../public-types.js';
import { CredentialsRejected, UpstreamAuth } from './auth.js';
import { DestinationPolicy, type UpstreamRequestKind } from './destinations.js';
import { badUpstream, delay, describeNetworkError, discard, header, networkErrorCode, readLimited, retryAfterSeconds, translateFailure, type UpstreamReply } from './failures.js';
import { refusedAddressCode, UpstreamHttp } from './http-request.js';
import { checkedHeadDigest, checkedMediaType, checkManifest, type ManifestClaims } from './manifest-check.js';
import { manifestAcceptHeader } from './media-types.js';
import { readRateLimit } from './rate-limit.js';
import { upstreamLimits, type UpstreamLimits, type UpstreamTimeouts } from './timeouts.js';

export type { UpstreamReply } from './failures.js';
export type { UpstreamTimeouts } from './timeouts.js';

export interface UpstreamManifest {
  digest: string;
  mediaType: string;
  size: number;
  /** Absent for HEAD. */
  body?: Buffer;
}

export interface UpstreamClientOptions {
  baseUrl: URL;
  /** What clients are told the registry is called in errors: "Docker Hub", "ghcr.io" (default: the URL's host). */
  displayName?: string;
  credentials?: CredentialsProvider;
  now?: () => number;
  onRateLimit?: (state: RateLimitState) => void;
  /** Called with true when a request reached the upstream, false when it could not. */
  onReachability?: (reachable: boolean, reason?: string) => void;
  /** The upstream answered 429 (its own rate limit), with its Retry-After in seconds when it gave one. */
  onThrottled?: (retryAfterSeconds: number | null) => void;
  /** A sentence for the owner when the credentials were rejected or withheld; null once they worked. */
  onCredentialsProblem?: (message: string | null) => void;
  /** The mirror's own listening addresses, which no redirect may reach. */
  ownAddresses?: () => { host: string; port: number }[];
  retryDelaysMs?: number[];
  timeouts?: UpstreamTimeouts;
}

/** Manifests are small; anything beyond this is not a manifest and is refused. */
const maxManifestBytes = 4 * 1024 * 1024;
const maxRedirects = 5;

type Reply = UpstreamReply & { fromUpstreamOrigin: boolean };

export class UpstreamClient {
  /** Connect and idle timeouts, so a dead upstream fails a request in seconds, not minutes. */
  private readonly http: UpstreamHttp;
  private readonly auth: UpstreamAuth;
  private readonly destinations: DestinationPolicy;
  private readonly now: () => number;
  private readonly retryDelaysMs: number[];
  private readonly limits: UpstreamLimits;

  constructor(private readonly options: UpstreamClientOptions) {
    this.now = options.now ?? Date.now;
    this.retryDelaysMs = options.retryDelaysMs ?? [250, 1000];
    this.limits = upstreamLimits(options.timeouts);
    this.http = new UpstreamHttp(this.limits);
    this.destinations = new DestinationPolicy({ upstream: options.baseUrl, ownAddresses: options.ownAddresses });
    this.auth = new UpstreamAuth({
      http: this.http,
      destinations: this.destinations,
      credentials: options.credentials,
      now: this.now,
      limits: this.limits,
      onReachability: options.onReachability,
      onCredentialsProblem: options.onCredentialsProblem,
    });
  }

  get host(): string {
    return this.options.baseUrl.host;
  }

  /** Closes pooled connections; the client stays usable and reconnects on its next request. */
  async close(): Promise<void> {
    this.http.close();
  }

  /** Forgets cached tokens, e.g. after the credentials changed. */
  resetAuth(): void {
    this.auth.reset();
  }

  async manifest(method: 'GET' | 'HEAD', repository: string, reference: string): Promise<UpstreamManifest> {
    const reply = await this.send(method, `/v2/${repository}/manifests/${reference}`, repository, { accept: manifestAcceptHeader }, 'manifest');
    const rateLimit = readRateLimit(reply.headers, new Date(this.now()));
    if (rateLimit) this.options.onRateLimit?.(rateLimit);
    if (reply.status === 404) {
      discard(reply.body);
      throw new RegistryError('MANIFEST_UNKNOWN', `manifest unknown: ${repository}:${reference} is not in the upstream registry`);
    }
    await this.expectSuccess(reply, repository);
    const claims: ManifestClaims = {
      repository,
      reference,
      contentType: header(reply.headers, 'content-type'),
      headerDigest: header(reply.headers, 'docker-content-digest'),
    };
    if (method === 'HEAD') {
      discard(reply.body);
      const size = Number(header(reply.headers, 'content-length'));
      return { digest: checkedHeadDigest(claims), mediaType: checkedMediaType(claims), size: Number.isFinite(size) ? size : 0 };
    }
    const body = await this.readBody(reply, 'a manifest');
    return { ...checkManifest(body, claims), size: body.length, body };
  }

  /** Starts a blob download from `fromByte` (to `toByte`, inclusive); follows the CDN redirect. The caller owns the body. */
  async blob(repository: string, digest: string, fromByte = 0, toByte?: number): Promise<UpstreamReply> {
    const ranged = fromByte > 0 || toByte !== undefined;
    const extra: Record<string, string> = ranged ? { range: `bytes=${fromByte}-${toByte ?? ''}` } : {};
    const reply = await this.send('GET', `/v2/${repository}/blobs/${digest}`, repository, extra, 'blob');
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
    const reply = await this.send('HEAD', `/v2/${repository}/blobs/${digest}`, repository, {}, 'blob');
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
    const reply = await this.send('HEAD', `/v2/${repository}/blobs/${digest}`, repository, {}, 'blob');
    discard(reply.body);
    if (reply.status === 404 || reply.status === 401 || reply.status === 403) return false;
    if (reply.status >= 200 && reply.status < 300) return true;
    throw await this.failure(reply, repository);
  }

  async tagsList(repository: string, query: string): Promise<{ body: Buffer; link?: string }> {
    const reply = await this.send('GET', `/v2/${repository}/tags/list${query}`, repository, {}, 'tags');
    await this.expectSuccess(reply, repository);
    const body = await this.readBody(reply, 'a tag list');
    return { body, link: header(reply.headers, 'link') };
  }

  /**
   * Whether this client may list the repository's tags: 'listed', 'refused' (401/403: private,
   * or absent on registries that hide which) or 'absent' (404). Throws only when there is no
   * answer (unreachable, rate-limited), so a caller can tell "no" from "could not ask".
   */
  async listing(repository: string): Promise<'listed' | 'refused' | 'absent'> {
    const reply = await this.send('GET', `/v2/${repository}/tags/list?n=1`, repository, {}, 'tags');
    if (reply.status === 401 || reply.status === 403 || reply.status === 404) {
      discard(reply.body);
      return reply.status === 404 ? 'absent' : 'refused';
    }
    await this.expectSuccess(reply, repository);
    discard(reply.body);
    return 'listed';
  }

  /** "Test credentials": a manifest HEAD that reads the pull limit (Docker Hub), or without `repository` `/v2/` with an unscoped token as `docker login` does. */
  async probe(repository?: string): Promise<CredentialProbe> {
    let reply: Reply;
    try {
      reply = await this.send('HEAD', repository ? `/v2/${repository}/manifests/latest` : '/v2/', repository ?? '', { accept: manifestAcceptHeader }, 'manifest');
    } catch (error) {
      // The owner is asking about their own account here, so the answer may name it.
      if (error instanceof CredentialsRejected) throw new RegistryError('UNAUTHORIZED', `the upstream's token service rejected the credentials of ${error.username}`);
      throw error;
    }
    discard(reply.body);
    if (reply.status === 401) throw new RegistryError('UNAUTHORIZED', 'the upstream rejected the credentials');
    const withheldFrom = this.auth.credentialsWithheldFrom;
    if (withheldFrom) throw new RegistryError('UNAUTHORIZED', `the credentials were not sent: the token service ${withheldFrom} is plain http on another host than the upstream`);
    if (!repository && (reply.status < 200 || reply.status > 299)) throw new RegistryError('UNAVAILABLE', `the upstream answered ${reply.status} where a registry answers /v2/`);
    return { rateLimit: readRateLimit(reply.headers, new Date(this.now())), loginAsked: this.auth.challenged };
  }

  private async send(method: 'GET' | 'HEAD', path: string, repository: string, extra: Record<string, string>, kind: UpstreamRequestKind): Promise<Reply> {
    const scope = repository ? `repository:${repository}:pull` : '';
    const deadlineAt = Date.now() + this.limits.deadlineMs;
    let lastError: unknown;
    for (let attempt = 0; ; attempt++) {
      const retryDelay = this.retryDelaysMs[attempt];
      // Judged after the attempt failed: a retry that cannot finish before the deadline is no use.
      const mayRetry = (): boolean => retryDelay !== undefined && Date.now() + retryDelay < deadlineAt;
      try {
        let reply = await this.authorizedRequest(method, path, scope, extra, false, kind, deadlineAt);
        if (reply.status === 401 && this.auth.noteChallenge(header(reply.headers, 'www-authenticate'), reply.fromUpstreamOrigin)) {
          discard(reply.body);
          reply = await this.authorizedRequest(method, path, scope, extra, true, kind, deadlineAt);
        }
        if (reply.status >= 500 && mayRetry()) {
          discard(reply.body);
          lastError = new RegistryError('UNAVAILABLE', `the upstream registry ${this.host} answered ${reply.status}`);
          await delay(retryDelay!);
          continue;
        }
        this.options.onReachability?.(true);
        return reply;
      } catch (error) {
        if (error instanceof RegistryError) throw error;
        lastError = error;
        if (!mayRetry()) break;
        await delay(retryDelay!);
      }
    }
    if (lastError instanceof RegistryError) throw lastError;
    const reason = describeNetworkError(lastError, this.limits);
    this.options.onReachability?.(false, reason);
    throw new RegistryError('UNAVAILABLE', `the upstream registry ${this.host} is unreachable (${reason})`);
  }

  private async authorizedRequest(
    method: string,
    path: string,
    scope: string,
    extra: Record<string, string>,
    refreshToken: boolean,
    kind: UpstreamRequestKind,
    deadlineAt: number,
  ): Promise<Reply> {
    const headers: Record<string, string> = { ...extra, 'user-agent': 'dockmirror' };
    const authorization = await this.auth.authorization(scope, refreshToken, deadlineAt);
    if (authorization) headers.authorization = authorization;
    let url = new URL(path, this.options.baseUrl);
    for (let hop = 0; ; hop++) {
      const fromUpstreamOrigin = this.destinations.isUpstreamOrigin(url);
      const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
      const response = await this.http
        .request(url, method, headers, {
          deadlineAt,
          deadlineCoversBody: kind !== 'blob',
          ...(kind === 'blob' ? { minProgress: this.limits.blobProgress, largeBody: true } : {}),
          refuseAddress: fromUpstreamOrigin ? undefined : (address) => this.destinations.addressRefusal(address, port),
        })
        .catch((error: unknown) => {
          if (networkErrorCode(error) !== refusedAddressCode) throw error;
          throw badUpstream(`the upstream redirected the mirror to ${url.host}, which it does not follow: ${(error as Error).message}`);
        });
      if (fromUpstreamOrigin) this.destinations.noteUpstreamAddress(response.remoteAddress);
      const location = header(response.headers, 'location');
      if (response.statusCode < 300 || response.statusCode >= 400 || !location) {
        return { status: response.statusCode, headers: response.headers, body: response.body, fromUpstreamOrigin };
      }
      discard(response.body);
      if (hop >= maxRedirects) throw badUpstream(`the upstream redirected more than ${maxRedirects} times`);
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw badUpstream('the upstream redirected to something that is not a URL');
      }
      const refusal = this.destinations.refusal(next, kind);
      if (refusal) throw badUpstream(`the upstream redirected a ${kind} request to a place the mirror does not follow: ${refusal}`);
      // A CDN's signed URL rejects a second auth mechanism, and a token must never leave
      // the registry it was issued for.
      if (next.origin !== url.origin) delete headers.authorization;
      url = next;
    }
  }

  /** Reads a small body within the deadline; a drip or a cut becomes a 503 with the reason. */
  private async readBody(reply: UpstreamReply, what: string): Promise<Buffer> {
    try {
      return await readLimited(reply.body, maxManifestBytes, what);
    } catch (error) {
      if (error instanceof RegistryError) throw error;
      throw new RegistryError('UNAVAILABLE', `the upstream registry ${this.host} did not deliver ${what} (${describeNetworkError(error, this.limits)})`);
    }
  }

  private async expectSuccess(reply: UpstreamReply, repository: string): Promise<void> {
    if (reply.status >= 200 && reply.status < 300) return;
    throw await this.failure(reply, repository);
  }

  private failure(reply: UpstreamReply, repository: string): Promise<RegistryError> {
    if (reply.status === 429) this.options.onThrottled?.(retryAfterSeconds(reply));
    return translateFailure(reply, repository, this.host, this.options.displayName ?? this.host);
  }
}

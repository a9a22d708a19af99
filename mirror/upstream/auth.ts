// Authentication to the upstream: the challenge it last sent, Bearer tokens per scope from its
// token realm, and Basic for registries that ask for it. The owner's credentials are the one
// secret here, so they go only where DestinationPolicy allows (https, or the upstream's own
// origin, never a realm reached by a redirect), and a rejection is told to the owner, never to
// a LAN client.
import { RegistryError } from '../errors.js';
import type { CredentialsProvider, UpstreamCredentials } from '../public-types.js';
import { parseChallenge, type Challenge } from './challenge.js';
import type { DestinationPolicy } from './destinations.js';
import { badUpstream, describeNetworkError, discard, header, networkErrorCode, readLimited } from './failures.js';
import { dump, refusedAddressCode, type HttpResponse, type UpstreamHttp } from './http-request.js';
import { TokenCache } from './token-cache.js';

/** The token service refused the owner's credentials. LAN clients see only that pulls cannot be authenticated. */
export class CredentialsRejected extends RegistryError {
  constructor(readonly username: string) {
    super('UNAVAILABLE', "the upstream's token service rejected the credentials this mirror is set up with; the mirror's owner is told in the app");
  }
}

export interface UpstreamAuthOptions {
  http: UpstreamHttp;
  destinations: DestinationPolicy;
  credentials?: CredentialsProvider;
  now: () => number;
  limits: { idleMs: number; deadlineMs: number };
  onReachability?: (reachable: boolean, reason?: string) => void;
  /** A sentence for the owner when the credentials were rejected or withheld; null once they worked. */
  onCredentialsProblem?: (message: string | null) => void;
}

const maxTokenBytes = 1024 * 1024;
/** Rejected credentials are not tried again for this long: each try is a failed login on the account. */
const rejectionHoldMs = 60_000;
const maxRedirects = 5;

export class UpstreamAuth {
  private readonly tokens: TokenCache;
  /** The last challenge the upstream sent, so later requests authenticate up front. */
  private challenge: Challenge | null = null;
  private rejected: { credentials: UpstreamCredentials; at: number } | null = null;
  /** The token service the credentials were last kept from (plain http elsewhere), or null. */
  credentialsWithheldFrom: string | null = null;

  constructor(private readonly options: UpstreamAuthOptions) {
    this.tokens = new TokenCache(options.now);
  }

  /** Whether the upstream asked for authentication at all: an open registry never tries the credentials. */
  get challenged(): boolean {
    return this.challenge !== null;
  }

  reset(): void {
    this.tokens.clear();
    this.challenge = null;
    this.rejected = null;
  }

  /** Takes a 401's challenge; only the upstream's own origin may say where credentials go. */
  noteChallenge(wwwAuthenticate: string | undefined, fromUpstreamOrigin: boolean): boolean {
    const challenge = fromUpstreamOrigin ? parseChallenge(wwwAuthenticate) : null;
    if (challenge) this.challenge = challenge;
    return challenge !== null;
  }

  async authorization(scope: string, refresh: boolean, deadlineAt: number): Promise<string | undefined> {
    const challenge = this.challenge;
    if (!challenge) return undefined;
    const credentials = await this.options.credentials?.get();
    // A Basic challenge came from the upstream's own origin (see noteChallenge): its own realm.
    if (challenge.scheme === 'basic') return credentials ? basic(credentials) : undefined;
    const realm = challenge.params.realm;
    if (!realm) return undefined;
    const service = challenge.params.service ?? '';
    const key = `${realm}|${service}|${scope}|${credentials?.username ?? ''}`;
    if (refresh) this.tokens.invalidate(key);
    const token = await this.tokens.obtain(key, () => this.fetchToken(realm, service, scope, credentials ?? null, deadlineAt));
    return `Bearer ${token}`;
  }

  private async fetchToken(
    realm: string,
    service: string,
    scope: string,
    credentials: UpstreamCredentials | null,
    deadlineAt: number,
  ): Promise<{ token: string; expiresIn?: number }> {
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw badUpstream(`the upstream named a token service that is not a URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw badUpstream(`the upstream named a token service that is not http or https`);
    if (service) url.searchParams.set('service', service);
    // No scope asks only whether the account may log in (`docker login`).
    if (scope) url.searchParams.set('scope', scope);
    const { destinations } = this.options;
    let sendCredentials = credentials !== null && destinations.mayReceiveCredentials(url, false);
    this.credentialsWithheldFrom = credentials && !sendCredentials ? url.host : null;
    const rejected = this.rejected;
    if (sendCredentials && credentials && rejected && sameCredentials(rejected.credentials, credentials) && this.options.now() - rejected.at < rejectionHoldMs) {
      throw new CredentialsRejected(credentials.username);
    }
    if (credentials && !sendCredentials) {
      this.options.onCredentialsProblem?.(
        `The Docker Hub credentials were not sent to the upstream's token service ${url.host}: it is plain http on another host than the upstream, where anyone on the way could read them. Pulls go on anonymously.`,
      );
    }
    const response = await this.request(url, deadlineAt, sendCredentials ? credentials : null, () => (sendCredentials = false));
    if (response.statusCode === 401 || response.statusCode === 403) {
      await dump(response.body);
      if (sendCredentials && credentials) {
        this.options.onCredentialsProblem?.(
          `The upstream's token service rejected the credentials of ${credentials.username}; pulls that need the upstream fail until they are fixed in the app.`,
        );
        this.rejected = { credentials, at: this.options.now() };
        throw new CredentialsRejected(credentials.username);
      }
      throw new RegistryError('UNAUTHORIZED', `the upstream's token service refused an anonymous token for ${scope}`);
    }
    if (response.statusCode !== 200) {
      discard(response.body);
      throw new RegistryError('UNAVAILABLE', `the upstream's token service answered ${response.statusCode}`);
    }
    let text: Buffer;
    try {
      text = await readLimited(response.body, maxTokenBytes, 'a token');
    } catch (error) {
      throw this.unreachable(error, url);
    }
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(text.toString('utf8')) as typeof body;
    } catch {
      throw badUpstream(`the upstream's token service sent an answer that is not JSON`);
    }
    const token = typeof body.token === 'string' ? body.token : typeof body.access_token === 'string' ? body.access_token : undefined;
    if (!token) throw badUpstream(`the upstream's token service sent no token`);
    if (sendCredentials) this.options.onCredentialsProblem?.(null);
    return { token, expiresIn: typeof body.expires_in === 'number' ? body.expires_in : undefined };
  }

  /** GETs the realm, following redirects the policy allows, never with credentials after the first hop. */
  private async request(first: URL, deadlineAt: number, credentials: UpstreamCredentials | null, onRedirect: () => void): Promise<HttpResponse> {
    const { destinations, http } = this.options;
    let url = first;
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = { 'user-agent': 'dockmirror' };
      if (credentials && hop === 0) headers.authorization = basic(credentials);
      const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
      let response: HttpResponse;
      try {
        response = await http.request(url, 'GET', headers, {
          deadlineAt,
          deadlineCoversBody: true,
          refuseAddress: destinations.isUpstreamOrigin(url) ? undefined : (address) => destinations.addressRefusal(address, port),
        });
      } catch (error) {
        if (networkErrorCode(error) === refusedAddressCode) throw badUpstream(`the upstream's token service is somewhere the mirror does not go: ${(error as Error).message}`);
        throw this.unreachable(error, url);
      }
      const location = header(response.headers, 'location');
      if (response.statusCode < 300 || response.statusCode >= 400 || !location) return response;
      discard(response.body);
      if (hop >= maxRedirects) throw badUpstream(`the upstream's token service redirected more than ${maxRedirects} times`);
      const next = new URL(location, url);
      const refusal = destinations.refusal(next, 'token');
      if (refusal) throw badUpstream(`the upstream's token service redirected to a place the mirror does not follow: ${refusal}`);
      onRedirect();
      url = next;
    }
  }

  private unreachable(error: unknown, url: URL): RegistryError {
    if (error instanceof RegistryError) return error;
    const reason = describeNetworkError(error, this.options.limits);
    this.options.onReachability?.(false, reason);
    return new RegistryError('UNAVAILABLE', `the upstream's token service ${url.host} is unreachable (${reason})`);
  }
}

function sameCredentials(a: UpstreamCredentials, b: UpstreamCredentials): boolean {
  return a.username === b.username && a.secret === b.secret;
}

function basic(credentials: UpstreamCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.secret}`).toString('base64')}`;
}

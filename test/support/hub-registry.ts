// The stand-in's registry (registry-1.docker.io): challenges, pull counting and rate limits,
// manifests, and blobs answered with a redirect to the CDN.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HubRealm } from './hub-realm.js';
import { bump, clientAddress, parseBasic, registryError, sendJson } from './hub-http.js';
import { DIGEST, NAME, RATE_LIMIT_WINDOW_SECONDS, type Principal } from './hub-types.js';

export abstract class HubRegistry extends HubRealm {
  /** The CDN's signed URL for a blob (hub-cdn.ts), where the registry redirects blob GETs. */
  abstract signedBlobUrl(repository: string, digest: string): string;

  protected challenge(repository: string | undefined, error?: string): Record<string, string> {
    if (this.options.auth === 'basic') return { 'www-authenticate': 'Basic realm="Dockmirror test registry"' };
    const parts = [`realm="${this.realm}"`, `service="${this.options.service}"`];
    if (repository !== undefined) parts.push(`scope="repository:${repository}:pull"`);
    if (error !== undefined) parts.push(`error="${error}"`);
    return { 'www-authenticate': `Bearer ${parts.join(',')}` };
  }

  /** Who is asking, or undefined after a 401 was sent. */
  protected authenticate(req: IncomingMessage, res: ServerResponse, repository: string | undefined): Principal | undefined {
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

  protected rateHeaders(principal: Principal, remaining: number, limit: number): Record<string, string> {
    return {
      'ratelimit-limit': `${limit};w=${RATE_LIMIT_WINDOW_SECONDS}`,
      'ratelimit-remaining': `${Math.max(0, remaining)};w=${RATE_LIMIT_WINDOW_SECONDS}`,
      'docker-ratelimit-source': principal.source,
    };
  }

  protected async handleRegistry(req: IncomingMessage, res: ServerResponse): Promise<void> {
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

  protected async serveManifest(req: IncomingMessage, res: ServerResponse, method: string, repository: string, reference: string, principal: Principal): Promise<void> {
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

  protected async serveBlob(req: IncomingMessage, res: ServerResponse, method: string, repository: string, digest: string): Promise<void> {
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
}

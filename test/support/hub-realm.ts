// The stand-in's token realm (auth.docker.io): Bearer tokens for repository scopes, Basic users.
import { createHmac } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HubPlumbing } from './hub-plumbing.js';
import { base64url, parseBasic, sameSecret, sendJson } from './hub-http.js';
import { NAME, type TokenClaims, type TokenRequest } from './hub-types.js';

export abstract class HubRealm extends HubPlumbing {
  protected issueToken(claims: TokenClaims): string {
    const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const payload = base64url(JSON.stringify(claims));
    const signature = createHmac('sha256', this.secret).update(`${header}.${payload}`).digest('base64url');
    return `${header}.${payload}.${signature}`;
  }

  protected readToken(token: string): TokenClaims | undefined {
    const [header, payload, signature] = token.split('.');
    if (!header || !payload || !signature) return undefined;
    const expected = createHmac('sha256', this.secret).update(`${header}.${payload}`).digest('base64url');
    if (!sameSecret(signature, expected)) return undefined;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenClaims;
    return claims.exp > this.options.now() ? claims : undefined;
  }

  protected checkUser(username: string, password: string): boolean {
    return this.options.users.some((user) => user.username === username && sameSecret(user.password, password));
  }

  protected async handleAuth(req: IncomingMessage, res: ServerResponse): Promise<void> {
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
}

// Who may pull what through the mirror. Mirror client authentication (Basic, the standard
// registry challenge) guards the whole API when it is on. With Docker Hub credentials set, a
// repository anonymous users cannot pull (the owner's private images) is served only to
// authenticated mirror clients — otherwise anyone on the LAN could read the owner's account.
import { timingSafeEqual } from 'node:crypto';
import { RegistryError } from './errors.js';
import type { UpstreamClient } from './upstream/client.js';

export interface AccessPolicyOptions {
  clientAuth?: { username: string; password: string } | null;
  /** Whether upstream credentials are configured right now. */
  hasUpstreamCredentials: () => Promise<boolean>;
  /** An upstream client without credentials, to learn what anonymous users may pull. */
  anonymousUpstream: UpstreamClient;
  servePrivateToAnyone?: boolean;
  now?: () => number;
}

/** How long the answer "is this repository public?" is trusted. */
const publicityTtlMs = 10 * 60_000;

export class AccessPolicy {
  private readonly publicity = new Map<string, { isPublic: boolean; checkedAt: number }>();
  private readonly now: () => number;

  constructor(private readonly options: AccessPolicyOptions) {
    this.now = options.now ?? Date.now;
  }

  get requiresLogin(): boolean {
    return Boolean(this.options.clientAuth);
  }

  /** Throws UNAUTHORIZED with a Basic challenge unless the request carries the mirror's credentials. */
  authenticate(authorization: string | undefined): void {
    const expected = this.options.clientAuth;
    if (!expected) return;
    const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
    const given = match ? Buffer.from(match[1]!, 'base64').toString('utf8') : '';
    if (!safeEqual(given, `${expected.username}:${expected.password}`)) {
      throw new RegistryError('UNAUTHORIZED', 'this mirror needs a username and password: log in to it like to any registry', {
        headers: { 'www-authenticate': 'Basic realm="Dockmirror"' },
      });
    }
  }

  /** Refuses private upstream repositories to clients that did not log in to the mirror. */
  async assertMayPull(repository: string): Promise<void> {
    if (this.options.clientAuth || this.options.servePrivateToAnyone) return;
    if (!(await this.options.hasUpstreamCredentials())) return;
    if (await this.isPublic(repository)) return;
    throw new RegistryError(
      'DENIED',
      `${repository} is not public upstream, and this mirror serves its owner's private images only to clients that log in; turn on mirror client authentication`,
    );
  }

  private async isPublic(repository: string): Promise<boolean> {
    const known = this.publicity.get(repository);
    if (known && this.now() - known.checkedAt < publicityTtlMs) return known.isPublic;
    let isPublic: boolean;
    try {
      await this.options.anonymousUpstream.tagsList(repository, '?n=1');
      isPublic = true;
    } catch (error) {
      // Unreachable upstream: no answer to cache, and no reason to open a private repository.
      if (error instanceof RegistryError && error.code === 'UNAVAILABLE') throw error;
      isPublic = false;
    }
    this.publicity.set(repository, { isPublic, checkedAt: this.now() });
    return isPublic;
  }
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

// Who may pull what through the mirror. Mirror client authentication (Basic, the standard
// registry challenge) guards the whole API when it is on. With Docker Hub credentials set, a
// repository anonymous users cannot pull (the owner's private images) is served only to
// authenticated mirror clients — otherwise anyone on the LAN could read the owner's account.
//
// "Is it public?" is asked upstream, so it must never make the cache useless when the upstream
// cannot answer: only a definite answer is remembered (a listing anonymous users may read is
// public; one only the owner may read is private; one nobody may read does not exist), and
// when the upstream is down or rate-limited the last definite answer stands, however old. That
// answer is kept in the store too (one small record per registry and repository), so a restart
// with the upstream down still serves what was last known public. A repository never answered
// for is refused to anonymous clients until the upstream can be asked: its cached content may
// be the owner's private image. Clients that log in to the mirror are not asked about at all.
import { timingSafeEqual } from 'node:crypto';
import { RegistryError } from './errors.js';
import type { UpstreamClient } from './upstream/client.js';

type Lister = Pick<UpstreamClient, 'listing'>;

export interface AccessPolicyOptions {
  clientAuth?: { username: string; password: string } | null;
  /** Whether upstream credentials are configured right now. */
  hasUpstreamCredentials: () => Promise<boolean>;
  /** An upstream client without credentials, to learn what anonymous users may pull. */
  anonymousUpstream: Lister;
  /** The client with the owner's credentials, to tell a private repository from a missing one. */
  ownerUpstream: Lister;
  servePrivateToAnyone?: boolean;
  now?: () => number;
  /** Where definite answers outlive the process; failures to write are ignored (memory still holds them). */
  remembered?: {
    read(repository: string): Promise<{ value: 'public' | 'private'; checkedAt: number } | null>;
    write(repository: string, answer: { value: 'public' | 'private'; checkedAt: number }): Promise<void>;
  };
}

type Publicity = 'public' | 'private' | 'absent';

/** How long a definite answer is trusted before the upstream is asked again. */
const publicityTtlMs = 10 * 60_000;

export class AccessPolicy {
  private readonly publicity = new Map<string, { value: Publicity; checkedAt: number }>();
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
    const { value, reason } = await this.publicityOf(repository);
    if (value === 'public') return;
    if (value === 'absent') throw new RegistryError('NAME_UNKNOWN', `repository ${repository} is not known to the upstream registry`);
    if (value === 'private') {
      throw new RegistryError(
        'DENIED',
        `${repository} is not public upstream, and this mirror serves its owner's private images only to clients that log in; turn on mirror client authentication`,
      );
    }
    throw new RegistryError(
      'UNAVAILABLE',
      `this mirror cannot tell whether ${repository} is public (${reason}), and it serves its owner's private images only to clients that log in; try again when the upstream answers`,
      { headers: { 'retry-after': '30' } },
    );
  }

  private async publicityOf(repository: string): Promise<{ value: Publicity | 'unknown'; reason?: string }> {
    const known = this.publicity.get(repository) ?? (await this.recall(repository));
    if (known && this.now() - known.checkedAt < publicityTtlMs) return { value: known.value };
    try {
      const value = await this.ask(repository);
      // "Absent" is asked again next time: the owner may create the repository any moment.
      if (value === 'absent') this.publicity.delete(repository);
      else {
        const answer = { value, checkedAt: this.now() };
        this.publicity.set(repository, answer);
        await this.options.remembered?.write(repository, answer).catch(() => {});
      }
      return { value };
    } catch (error) {
      // No answer is not an answer: keep what was last known.
      if (known) return { value: known.value };
      return { value: 'unknown', reason: error instanceof Error ? error.message : String(error) };
    }
  }

  private async recall(repository: string): Promise<{ value: Publicity; checkedAt: number } | undefined> {
    const stored = await this.options.remembered?.read(repository).catch(() => null);
    if (!stored) return undefined;
    this.publicity.set(repository, stored);
    return stored;
  }

  private async ask(repository: string): Promise<Publicity> {
    const anonymous = await this.options.anonymousUpstream.listing(repository).catch(refusedWhenUnauthorized);
    if (anonymous === 'listed') return 'public';
    if (anonymous === 'absent') return 'absent';
    // Registries answer 401 for missing repositories as for private ones; the owner can tell.
    const owner = await this.options.ownerUpstream.listing(repository).catch(refusedWhenUnauthorized);
    return owner === 'listed' ? 'private' : 'absent';
  }
}

/** A token service refusing a token is a definite "no"; anything else is no answer. */
function refusedWhenUnauthorized(error: unknown): 'refused' {
  if (error instanceof RegistryError && (error.code === 'UNAUTHORIZED' || error.code === 'DENIED')) return 'refused';
  throw error;
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

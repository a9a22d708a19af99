// Docker Hub credentials and the mirror's client password, kept in the keychain only. The
// window learns "saved for <user>", never a secret; the engine gets a CredentialsProvider that
// reads the keychain on demand, so saving or deleting applies to the next token request.
import type { CredentialProbe, CredentialsProvider, UpstreamCredentials } from '../../mirror/public-types.js';
import type { CredentialStatus, CredentialTestResult } from '../shared/contract.js';
import { CoreError } from './core-error.js';
import type { Keychain } from './keychain.js';

const hubPrefix = 'hub:';
const dockerHub = 'docker.io';

/** The keychain account a Docker Hub user's token is saved under. */
export const hubAccount = (username: string): string => hubPrefix + username;

/** Accounts of one registry: `hub:<user>` for Docker Hub (as before), `registry:<name>:<user>` for the others. */
const prefixOf = (registry: string): string => (registry === dockerHub ? hubPrefix : `registry:${registry}:`);
const clientAccount = 'mirror-client';

/** `repository` undefined: a login check with no repository (`docker login`), for registries other than Docker Hub. */
export type CredentialTester = (upstream: string, credentials: UpstreamCredentials, repository?: string) => Promise<CredentialProbe>;
/** Docker Hub's probe reads the pull limit from a manifest HEAD (not a counted pull) of an image every account may read. */
const hubProbeRepository = 'library/alpine';

export class Credentials {
  private problem: string | null | undefined;

  constructor(
    private readonly keychain: Keychain,
    private readonly tester: CredentialTester,
  ) {}

  /** Probes once; a keychain that appears later (user unlocks it) is found by refresh(). */
  async refresh(): Promise<void> {
    this.problem = await this.keychain.probe();
  }

  async status(): Promise<CredentialStatus> {
    if (this.problem === undefined) await this.refresh();
    if (this.problem) return { keychainAvailable: false, savedFor: null, message: this.problem };
    const registries: Record<string, string> = {};
    for (const account of await this.keychain.accounts()) {
      const match = /^registry:([^:]+(?::\d+)?):(.+)$/.exec(account);
      if (match) registries[match[1]!] = match[2]!;
    }
    const savedFor = await this.userOf(dockerHub);
    return Object.keys(registries).length > 0 ? { keychainAvailable: true, savedFor, registries } : { keychainAvailable: true, savedFor };
  }

  private async userOf(registry: string): Promise<string | null> {
    const prefix = prefixOf(registry);
    const account = (await this.keychain.accounts()).find((a) => a.startsWith(prefix));
    return account ? account.slice(prefix.length) : null;
  }

  private async requireKeychain(): Promise<void> {
    if (this.problem === undefined) await this.refresh();
    if (this.problem) throw new CoreError('keychain-unavailable', this.problem);
  }

  async save(username: string, token: string, registry = dockerHub): Promise<CredentialStatus> {
    const user = username.trim();
    const hub = registry === dockerHub;
    // Robot accounts (quay.io's `org+robot`) carry a plus.
    if (!/^[A-Za-z0-9][A-Za-z0-9._+-]{0,254}$/.test(user)) throw new CoreError('invalid-credentials', hub ? 'Enter your Docker Hub user name.' : `Enter the user name for ${registry}.`);
    if (token.length === 0 || token.length > 4096 || /\s/.test(token)) {
      throw new CoreError('invalid-credentials', hub ? 'Paste the access token from Docker Hub (Account settings → Personal access tokens).' : `Paste the access token or password for ${registry}.`);
    }
    await this.requireKeychain();
    // One account per registry at a time: the old one goes before the new one is written.
    await this.deleteAccounts(registry);
    await this.keychain.set(prefixOf(registry) + user, token);
    return this.status();
  }

  async delete(registry = dockerHub): Promise<CredentialStatus> {
    await this.requireKeychain();
    await this.deleteAccounts(registry);
    return this.status();
  }

  private async deleteAccounts(registry: string): Promise<void> {
    const prefix = prefixOf(registry);
    for (const account of await this.keychain.accounts()) {
      if (account.startsWith(prefix)) await this.keychain.delete(account);
    }
  }

  async hub(): Promise<UpstreamCredentials | null> {
    return this.of(dockerHub);
  }

  /** The saved credentials of one registry, or null. */
  async of(registry: string): Promise<UpstreamCredentials | null> {
    if (this.problem === undefined) await this.refresh();
    if (this.problem) return null;
    const user = await this.userOf(registry);
    if (!user) return null;
    const secret = await this.keychain.get(prefixOf(registry) + user);
    return secret ? { username: user, secret } : null;
  }

  /** For the engine: errors reading the keychain mean anonymous pulls, never a failed pull. */
  provider(registry = dockerHub): CredentialsProvider {
    return { get: () => this.of(registry).catch(() => null) };
  }

  async test(upstream: string, registry = dockerHub): Promise<CredentialTestResult> {
    const credentials = await this.of(registry);
    if (!credentials) {
      const status = await this.status();
      return { ok: false, message: status.message ?? (registry === dockerHub ? 'No Docker Hub account is saved yet.' : `No account is saved for ${registry} yet.`) };
    }
    try {
      const { rateLimit, loginAsked } = await this.tester(upstream, credentials, registry === dockerHub ? hubProbeRepository : undefined);
      if (!loginAsked) return { ok: true, message: `${registry === dockerHub ? 'Docker Hub' : registry} did not ask for a login, so the account was not tried: pulls work without one.` };
      if (!rateLimit) {
        // Only Docker Hub states a limit; another registry's silence says nothing about one.
        const limit = registry === dockerHub ? 'Docker Hub reports no pull limit for this account.' : `${registry} accepted the account.`;
        return { ok: true, message: `Signed in as ${credentials.username}: ${limit}` };
      }
      const hours = Math.round((rateLimit.windowSeconds / 3600) * 10) / 10;
      return {
        ok: true,
        message: `Signed in as ${credentials.username}: ${rateLimit.limit} pulls per ${hours} hours.`,
        rateLimit: { limit: rateLimit.limit, windowSeconds: rateLimit.windowSeconds },
      };
    } catch (error) {
      const reason = error instanceof Error && error.message ? error.message : 'the upstream did not answer.';
      return { ok: false, message: `Signing in as ${credentials.username} failed: ${reason}` };
    }
  }

  async setClientPassword(password: string): Promise<void> {
    if (password.length < 8 || password.length > 1024) throw new CoreError('invalid-password', 'The client password must be 8 to 1024 characters.');
    await this.requireKeychain();
    await this.keychain.set(clientAccount, password);
  }

  async clientPassword(): Promise<string | null> {
    if (this.problem === undefined) await this.refresh();
    if (this.problem) return null;
    return this.keychain.get(clientAccount).catch(() => null);
  }
}

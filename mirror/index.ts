// The engine's public entry: everything a host (CLI, desktop core, tests) needs.
import { Mirror } from './engine.js';
import type { CredentialProbe, MirrorEngine, MirrorOptions, UpstreamCredentials } from './public-types.js';
import { UpstreamClient } from './upstream/client.js';

export type * from './public-types.js';
export { defaultTagTtlMs, defaultUpstream } from './engine.js';
export { RegistryError } from './errors.js';
export { CidrError, parseCidr, parseCidrList } from './cidr.js';
export { allowlistWarning, defaultAllowlist, mirrorAddresses, mirrorUrl } from './lan-addresses.js';
export { CacheFolderRefused, inspectCacheFolder, systemFolderReason, type CacheFolderState } from './store/cache-claim.js';
export { isOwnFile, removeOwnFiles, scanStore } from './store/own-files.js';
export { isRegistryKey, markerFileName } from './store/paths.js';

export function createMirror(options: MirrorOptions): MirrorEngine {
  return new Mirror(options);
}

/**
 * Checks credentials against an upstream without a counted pull: with `repository`, one token
 * request and a manifest HEAD that reads the account's rate limit (Docker Hub); without, `/v2/`
 * with a token of no repository scope, as `docker login` does, for registries where no one
 * repository is sure to exist. Rejects with a RegistryError whose message says what went wrong.
 */
export async function testUpstreamCredentials(upstream: string, credentials: UpstreamCredentials, repository?: string): Promise<CredentialProbe> {
  const client = new UpstreamClient({ baseUrl: new URL(upstream), credentials: { get: async () => credentials } });
  try {
    return await client.probe(repository);
  } finally {
    await client.close();
  }
}

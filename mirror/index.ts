// The engine's public entry: everything a host (CLI, desktop core, tests) needs.
import { Mirror } from './engine.js';
import type { MirrorEngine, MirrorOptions, RateLimitState, UpstreamCredentials } from './public-types.js';
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
 * Checks credentials against an upstream with one token request and a manifest HEAD (not a
 * counted pull); resolves with the rate limit the account gets, rejects with a RegistryError
 * whose message says what went wrong.
 */
export async function testUpstreamCredentials(
  upstream: string,
  credentials: UpstreamCredentials,
  repository = 'library/alpine',
): Promise<{ rateLimit: RateLimitState | null }> {
  const client = new UpstreamClient({ baseUrl: new URL(upstream), credentials: { get: async () => credentials } });
  try {
    return await client.probe(repository);
  } finally {
    await client.close();
  }
}

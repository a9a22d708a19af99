// Credentials are needed on every upstream request, but a keychain lookup is slow (and may
// prompt); asking the provider at most every few seconds keeps requests fast while a changed
// or deleted token still applies almost at once.
import type { CredentialsProvider, UpstreamCredentials } from '../public-types.js';

export function cachedCredentials(provider: CredentialsProvider | undefined, ttlMs = 5_000, now: () => number = Date.now): CredentialsProvider | undefined {
  if (!provider) return undefined;
  let value: Promise<UpstreamCredentials | null> | null = null;
  let fetchedAt = 0;
  return {
    get() {
      if (!value || now() - fetchedAt >= ttlMs) {
        fetchedAt = now();
        value = provider.get().catch(() => null);
      }
      return value;
    },
  };
}

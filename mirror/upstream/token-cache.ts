// Bearer tokens per scope, kept until shortly before they expire, with concurrent requests for
// the same scope sharing one token request.

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Tokens are dropped this long before their stated expiry, so none expires mid-request. */
const expiryMarginMs = 10_000;
/** Docker's token spec: when `expires_in` is absent the token lasts 60 seconds. */
const defaultLifetimeSeconds = 60;

export class TokenCache {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<string>>();

  constructor(private readonly now: () => number = Date.now) {}

  get(key: string): string | undefined {
    const cached = this.tokens.get(key);
    if (!cached) return undefined;
    if (cached.expiresAt - expiryMarginMs <= this.now()) {
      this.tokens.delete(key);
      return undefined;
    }
    return cached.token;
  }

  /** Returns a cached token or runs `fetchToken` once for all concurrent callers of this key. */
  async obtain(key: string, fetchToken: () => Promise<{ token: string; expiresIn?: number }>): Promise<string> {
    const cached = this.get(key);
    if (cached) return cached;
    let inFlight = this.pending.get(key);
    if (!inFlight) {
      inFlight = fetchToken()
        .then(({ token, expiresIn }) => {
          const lifetime = expiresIn && expiresIn > 0 ? expiresIn : defaultLifetimeSeconds;
          this.tokens.set(key, { token, expiresAt: this.now() + lifetime * 1000 });
          return token;
        })
        .finally(() => this.pending.delete(key));
      this.pending.set(key, inFlight);
    }
    return inFlight;
  }

  invalidate(key: string): void {
    this.tokens.delete(key);
  }

  clear(): void {
    this.tokens.clear();
  }
}

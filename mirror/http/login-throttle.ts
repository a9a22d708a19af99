// Slows down password guessing against the mirror's client login. Without it one LAN host could
// try about 5,000 passwords a second. Each client address (an IPv6 client by its /64, which one
// host can fill with addresses) gets a few free failures; after that every failure locks it out
// for a window that doubles up to a cap, and while locked every login attempt from it is
// answered 429 with Retry-After, the right password included. Memory stays bounded: the least
// recently failing addresses are forgotten first, and a quiet address is forgotten after a while.
// A refusal's request event carries the code LOGIN_THROTTLED, so the engine's log names the
// address (never a password: no header reaches the event) and the window shows it.
import { isIPv6 } from 'node:net';
import { RegistryError } from '../errors.js';
import { displayAddress } from './client-filter.js';

export interface LoginThrottleSettings {
  /** Failures an address may make before lockouts start (typos, a stale password in a config). */
  freeFailures: number;
  firstLockMs: number;
  maxLockMs: number;
  /** An address without a failure for this long starts afresh. */
  forgetAfterMs: number;
  /** Addresses remembered at most; beyond it the least recently failing one is dropped. */
  maxTracked: number;
}

export const defaultLoginThrottle: Readonly<LoginThrottleSettings> = Object.freeze({
  freeFailures: 5,
  firstLockMs: 1_000,
  maxLockMs: 15 * 60_000,
  forgetAfterMs: 30 * 60_000,
  maxTracked: 10_000,
});

/** The event code of a refusal, distinct from an upstream's TOOMANYREQUESTS (Docker Hub's limit). */
export const loginThrottledCode = 'LOGIN_THROTTLED';

interface Failures {
  count: number;
  lastFailure: number;
  lockedUntil: number;
}

export class LoginThrottled extends RegistryError {}

export class LoginThrottle {
  private readonly byClient = new Map<string, Failures>();
  private readonly settings: LoginThrottleSettings;

  constructor(
    settings: Partial<LoginThrottleSettings> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.settings = { ...defaultLoginThrottle, ...settings };
  }

  get tracked(): number {
    return this.byClient.size;
  }

  /**
   * Runs `authenticate` for a request from `remoteAddress` that carries credentials (`hasCredentials`)
   * or not. Throws LoginThrottled (429) while the address is locked out; counts a failed login (an
   * UNAUTHORIZED with credentials given) and clears the count on a successful one.
   */
  check(remoteAddress: string | undefined, hasCredentials: boolean, authenticate: () => void): void {
    const key = clientKey(remoteAddress);
    const now = this.now();
    const known = this.byClient.get(key);
    if (known && now - known.lastFailure > this.settings.forgetAfterMs) this.byClient.delete(key);
    const state = this.byClient.get(key);
    if (state && state.lockedUntil > now) throw this.refusal(key, state.lockedUntil - now);
    try {
      authenticate();
    } catch (error) {
      if (hasCredentials && error instanceof RegistryError && error.code === 'UNAUTHORIZED') this.fail(key, state, now);
      throw error;
    }
    if (hasCredentials && state) this.byClient.delete(key);
  }

  private fail(key: string, previous: Failures | undefined, now: number): void {
    const state = previous ?? { count: 0, lastFailure: now, lockedUntil: 0 };
    state.count++;
    state.lastFailure = now;
    const over = state.count - this.settings.freeFailures;
    if (over > 0) {
      const lockMs = Math.min(this.settings.maxLockMs, this.settings.firstLockMs * 2 ** Math.min(over - 1, 30));
      state.lockedUntil = now + lockMs;
    }
    // Re-inserting keeps the map in order of last failure, so the oldest is the first key.
    this.byClient.delete(key);
    this.byClient.set(key, state);
    while (this.byClient.size > this.settings.maxTracked) this.byClient.delete(this.byClient.keys().next().value!);
  }

  private refusal(key: string, leftMs: number): LoginThrottled {
    const seconds = Math.max(1, Math.ceil(leftMs / 1000));
    return new LoginThrottled('TOOMANYREQUESTS', `too many failed logins from ${key}; try again in ${seconds} s`, {
      headers: { 'retry-after': String(seconds) },
    });
  }
}

/** The address a client is counted under: IPv4 as is, IPv6 by its /64 network. */
export function clientKey(remoteAddress: string | undefined): string {
  const address = displayAddress(remoteAddress);
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.replace(/%.*$/, '').split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}

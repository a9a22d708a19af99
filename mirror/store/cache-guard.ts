// Decides whether new content may be written to the cache. When the disk is nearly full or
// the folder stopped accepting writes, the mirror keeps serving by streaming straight through
// and says why in its health state, instead of failing pulls.
import { statfs } from 'node:fs/promises';
import { formatBytes } from '../byte-size.js';
import { diskErrorKind } from './disk-errors.js';

export type GuardProblem = { code: 'disk-full' | 'cache-not-writable'; message: string } | null;

/** How long a decision holds before the disk is asked again. */
const recheckMs = 5_000;
/** After a failed write, caching pauses this long before it is tried again. */
const writeFailurePauseMs = 30_000;

export class CacheGuard {
  private checkedAt = 0;
  private lastAnswer = true;
  private writeFailedAt = 0;
  private writeFailure = '';

  constructor(
    private readonly dir: string,
    private readonly minFreeBytes: number,
    private readonly report: (problem: GuardProblem) => void,
    private readonly now: () => number = Date.now,
  ) {}

  async canCache(): Promise<boolean> {
    const now = this.now();
    if (now - this.writeFailedAt < writeFailurePauseMs) return false;
    if (now - this.checkedAt < recheckMs) return this.lastAnswer;
    this.checkedAt = now;
    const stats = await statfs(this.dir).catch(() => null);
    const free = stats ? stats.bavail * stats.bsize : 0;
    this.lastAnswer = stats !== null && free >= this.minFreeBytes;
    if (!stats) {
      this.report({ code: 'cache-not-writable', message: `The cache folder ${this.dir} cannot be read; pulls stream straight through without caching.` });
    } else if (!this.lastAnswer) {
      this.report({
        code: 'disk-full',
        message: `Caching stopped: only ${formatBytes(free)} is free on the cache disk (the floor is ${formatBytes(this.minFreeBytes)}); pulls stream straight through without caching.`,
      });
    } else if (!this.writeFailure) {
      this.report(null);
    }
    return this.lastAnswer;
  }

  /** A write into the cache failed (ENOSPC, EACCES, EROFS …): pause caching and say why. */
  writeFailed(code: string): void {
    this.writeFailedAt = this.now();
    this.writeFailure = code;
    this.checkedAt = 0;
    const full = diskErrorKind(code) === 'full';
    this.report({
      code: full ? 'disk-full' : 'cache-not-writable',
      message:
        full
          ? `Caching stopped: the cache disk is full (${code}); pulls stream straight through without caching.`
          : `Caching stopped: the cache folder ${this.dir} cannot be written (${code}); pulls stream straight through without caching.`,
    });
  }

  /** A write succeeded again: caching is healthy. */
  writeSucceeded(): void {
    if (!this.writeFailure) return;
    this.writeFailure = '';
    this.writeFailedAt = 0;
    this.report(null);
  }
}

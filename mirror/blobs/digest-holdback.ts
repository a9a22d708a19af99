// Bytes from the upstream that are not stored first still never reach a client as a complete
// transfer of wrong bytes: the newest chunk is held back until the sha256 of the whole blob is
// known to match, and on a mismatch the body fails instead of ending.
import { createHash } from 'node:crypto';
import { badUpstream } from '../upstream/failures.js';

export class DigestHoldback {
  private readonly hash = createHash('sha256');
  private held: Buffer | null = null;

  constructor(private readonly digest: string) {}

  /** Hashes bytes the client already got elsewhere (a prefix served from our own file). */
  skip(bytes: Buffer): void {
    this.hash.update(bytes);
  }

  /** Takes the next chunk and returns the one held before it (null for the first). */
  pass(chunk: Buffer): Buffer | null {
    this.hash.update(chunk);
    const previous = this.held;
    this.held = chunk;
    return previous;
  }

  /** At the end of the body: the held chunk once the digest matched; UPSTREAM_INVALID (502) otherwise. */
  finish(): Buffer | null {
    const actual = `sha256:${this.hash.digest('hex')}`;
    if (actual !== this.digest) throw badUpstream(`the upstream sent bytes for ${this.digest} that hash to ${actual}`);
    const last = this.held;
    this.held = null;
    return last;
  }
}

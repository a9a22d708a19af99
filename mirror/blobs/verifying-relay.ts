// Streams a blob from the upstream straight to one client without caching it, for when the
// cache cannot take writes. The digest is still checked: the last chunk is held back until the
// hash matches, and on a mismatch the stream errors so the client never sees a complete
// transfer of wrong bytes.
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { RegistryError } from '../errors.js';

export class VerifyingRelay extends Transform {
  private readonly hash = createHash('sha256');
  private held: Buffer | null = null;

  constructor(private readonly digest: string) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    const previous = this.held;
    this.held = chunk;
    callback(null, previous ?? undefined);
  }

  override _flush(callback: TransformCallback): void {
    const actual = `sha256:${this.hash.digest('hex')}`;
    if (actual !== this.digest) {
      callback(new RegistryError('DIGEST_INVALID', `the upstream sent bytes for ${this.digest} that hash to ${actual}`));
      return;
    }
    callback(null, this.held ?? undefined);
  }
}

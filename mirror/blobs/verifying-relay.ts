// Streams a blob from the upstream straight to one client without caching it, for when the
// cache cannot take writes. The digest is still checked (DigestHoldback), so on a mismatch the
// stream errors and the client never sees a complete transfer of wrong bytes.
import { Transform, type TransformCallback } from 'node:stream';
import { DigestHoldback } from './digest-holdback.js';

export class VerifyingRelay extends Transform {
  private readonly holdback: DigestHoldback;

  constructor(digest: string) {
    super();
    this.holdback = new DigestHoldback(digest);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    callback(null, this.holdback.pass(chunk) ?? undefined);
  }

  override _flush(callback: TransformCallback): void {
    let last: Buffer | null;
    try {
      last = this.holdback.finish();
    } catch (error) {
      callback(error as Error);
      return;
    }
    callback(null, last ?? undefined);
  }
}

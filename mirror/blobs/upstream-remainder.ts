// The download stopped because our disk refused a write (disk full): the rest comes from the
// upstream for this one client. The bytes already sent are re-read through the reader's
// descriptor (still valid after the temp file was removed) to keep verifying the whole blob,
// and DigestHoldback keeps the last chunk back until the digest matches.
import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { BlobDownload } from './blob-download.js';
import { DigestHoldback } from './digest-holdback.js';

export class UpstreamRemainder {
  private done = false;

  private constructor(
    private readonly body: Readable,
    private readonly chunks: AsyncIterator<Buffer>,
    private readonly holdback: DigestHoldback,
  ) {}

  static async start(download: BlobDownload, file: FileHandle, position: number): Promise<UpstreamRemainder> {
    const holdback = new DigestHoldback(download.digest);
    // What reached the file before the disk failed is read back; anything newer is still in `recent`.
    const inFile = Math.min(position, download.written);
    const prefix = Buffer.allocUnsafe(Math.min(inFile, 1024 * 1024));
    for (let offset = 0; offset < inFile; ) {
      const { bytesRead } = await file.read(prefix, 0, Math.min(prefix.length, inFile - offset), offset);
      if (bytesRead === 0) throw new Error('the cached prefix of the blob could not be re-read');
      holdback.skip(prefix.subarray(0, bytesRead));
      offset += bytesRead;
    }
    for (let offset = inFile; offset < position; ) {
      const held = download.recent.slice(offset, position);
      if (!held) throw new Error('the received prefix of the blob is no longer held');
      holdback.skip(held);
      offset += held.length;
    }
    const body = await download.fetchRemainder(position);
    return new UpstreamRemainder(body, body[Symbol.asyncIterator]() as AsyncIterator<Buffer>, holdback);
  }

  async next(): Promise<Buffer | null> {
    while (!this.done) {
      const step = await this.chunks.next();
      if (step.done) {
        this.done = true;
        return this.holdback.finish();
      }
      const ready = this.holdback.pass(step.value);
      if (ready) return ready;
    }
    return null;
  }

  close(): void {
    this.body.destroy();
  }
}

// A Readable of one byte range of a blob that is still being downloaded. It reads the
// download's temp file through its own descriptor and waits for more bytes when it catches up,
// so it serves a client as fast as the upstream delivers and a late joiner from the start.
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { BlobDownload } from './blob-download.js';
import { RegistryError } from './errors.js';

const chunkSize = 256 * 1024;

export class DownloadReader extends Readable {
  private file: FileHandle | undefined;
  private position: number;
  private waiting: (() => void) | undefined;
  private reading = false;

  /** `end` is inclusive; undefined means to the end of the blob. */
  constructor(
    private readonly download: BlobDownload,
    start: number,
    private readonly end: number | undefined,
  ) {
    super({ highWaterMark: chunkSize });
    this.position = start;
  }

  override _construct(callback: (error?: Error | null) => void): void {
    // Opened before the download can rename the file into the store; the descriptor survives it.
    open(this.download.tempPath, 'r').then(
      (file) => {
        this.file = file;
        callback();
      },
      (error: NodeJS.ErrnoException) => {
        // The download already finished (renamed) or failed before we opened it.
        if (this.download.state === 'done') {
          open(this.download.finalPath, 'r').then((file) => {
            this.file = file;
            callback();
          }, callback);
        } else callback(this.download.error ?? error);
      },
    );
  }

  override _read(): void {
    this.emit('drain-request');
    if (this.reading) return;
    this.reading = true;
    this.pump().finally(() => (this.reading = false));
  }

  private async pump(): Promise<void> {
    for (;;) {
      const last = this.end !== undefined ? this.end + 1 : this.download.state === 'done' ? this.download.written : Infinity;
      if (this.position >= last) {
        this.push(null);
        return;
      }
      const available = Math.min(this.download.readable, last);
      if (this.position < available) {
        const length = Math.min(chunkSize, available - this.position);
        const buffer = Buffer.allocUnsafe(length);
        const { bytesRead } = await this.file!.read(buffer, 0, length, this.position);
        if (bytesRead === 0) {
          this.destroy(new Error(`the cached bytes of ${this.download.digest} ended early`));
          return;
        }
        this.position += bytesRead;
        if (!this.push(bytesRead === length ? buffer : buffer.subarray(0, bytesRead))) return;
        continue;
      }
      if (this.download.state === 'failed') {
        if (this.download.localWriteError && this.end === undefined && this.file) await this.continueFromUpstream();
        else this.destroy(this.download.error);
        return;
      }
      if (this.download.state === 'done' && this.position >= this.download.written) {
        this.push(null);
        return;
      }
      await new Promise<void>((resolve) => {
        const unsubscribe = this.download.onChange(() => {
          unsubscribe();
          this.waiting = undefined;
          resolve();
        });
        this.waiting = () => {
          unsubscribe();
          resolve();
        };
      });
      if (this.destroyed) return;
    }
  }

  /**
   * The download stopped because our disk refused a write (disk full): fetch the rest from the
   * upstream for this client alone. The bytes already sent are re-read through our descriptor
   * (still valid after the temp file was removed) to keep verifying the whole blob, and the last
   * chunk is held back until the digest matches.
   */
  private async continueFromUpstream(): Promise<void> {
    try {
      const hash = createHash('sha256');
      const prefix = Buffer.allocUnsafe(chunkSize);
      for (let offset = 0; offset < this.position; ) {
        const { bytesRead } = await this.file!.read(prefix, 0, Math.min(chunkSize, this.position - offset), offset);
        if (bytesRead === 0) throw new Error('the cached prefix of the blob could not be re-read');
        hash.update(prefix.subarray(0, bytesRead));
        offset += bytesRead;
      }
      let held: Buffer | null = null;
      for await (const chunk of await this.download.fetchRemainder(this.position)) {
        if (this.destroyed) return;
        hash.update(chunk as Buffer);
        if (held && !this.push(held)) await new Promise((resolve) => this.once('drain-request', resolve));
        held = chunk as Buffer;
      }
      const actual = `sha256:${hash.digest('hex')}`;
      if (actual !== this.download.digest) throw new RegistryError('DIGEST_INVALID', `the upstream sent bytes for ${this.download.digest} that hash to ${actual}`);
      if (held) this.push(held);
      this.push(null);
    } catch (error) {
      this.destroy(error as Error);
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.waiting?.();
    const file = this.file;
    this.file = undefined;
    if (file) file.close().then(() => callback(error), () => callback(error));
    else callback(error);
  }
}

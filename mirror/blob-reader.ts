// A Readable of one byte range of a blob that is still being downloaded. It reads the
// download's temp file through its own descriptor and waits for more bytes when it catches up,
// so it serves a client as fast as the upstream delivers and a late joiner from the start.
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { BlobDownload } from './blob-download.js';

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
        this.position += bytesRead;
        if (!this.push(bytesRead === length ? buffer : buffer.subarray(0, bytesRead))) return;
        continue;
      }
      if (this.download.state === 'failed') {
        this.destroy(this.download.error);
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

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.waiting?.();
    const file = this.file;
    this.file = undefined;
    if (file) file.close().then(() => callback(error), () => callback(error));
    else callback(error);
  }
}

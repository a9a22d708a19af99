// One byte range of a blob that is still being downloaded, as a chunk source. It hands out the
// download's newest chunks from memory when it keeps up, reads the temp file through its own
// descriptor when it is behind, and waits for more bytes when it catches up, so it serves a
// client as fast as the upstream delivers and a late joiner from the start.
import { open, type FileHandle } from 'node:fs/promises';
import type { BlobDownload } from './blob-download.js';
import type { ChunkSource } from './chunk-source.js';
import { UpstreamRemainder } from './upstream-remainder.js';

export class DownloadChunkSource implements ChunkSource {
  private opening: Promise<FileHandle> | undefined;
  private position: number;
  private closed = false;
  private stopWaiting: (() => void) | undefined;
  /** Set once the download lost its disk and this reader fetches the rest itself. */
  private fallback: UpstreamRemainder | undefined;

  /**
   * Asks for the reader's own descriptor now, before the download can rename the file into the
   * store (the descriptor survives the rename), or on the stored file when it already finished,
   * but waits for it only when bytes must come from the file: the open queues in libuv's pool
   * behind the download's first writes, and a reader that keeps up is served from memory, so
   * waiting for it first delayed a cold blob's first byte by 1–4 ms, measured.
   * `end` is inclusive; undefined means to the end of the blob.
   */
  static async open(download: BlobDownload, start: number, end: number | undefined): Promise<DownloadChunkSource> {
    const opening = openFile(download);
    // Its failure is met where the file is first needed (or ignored by close()).
    opening.catch(() => {});
    return new DownloadChunkSource(download, opening, start, end);
  }

  private constructor(
    private readonly download: BlobDownload,
    opening: Promise<FileHandle>,
    start: number,
    private readonly end: number | undefined,
  ) {
    this.opening = opening;
    this.position = start;
    download.readers++;
  }

  async next(buffer: Buffer): Promise<Buffer | null> {
    if (this.fallback) return this.fallback.next();
    for (;;) {
      if (this.closed || !this.opening) throw new Error('the blob reader was closed');
      const last = this.end !== undefined ? this.end + 1 : this.download.state === 'done' ? this.download.written : Infinity;
      if (this.position >= last) return null;
      if (this.download.state === 'failed') {
        if (!this.download.localWriteError || this.end !== undefined) throw this.download.error;
        this.fallback = await UpstreamRemainder.start(this.download, await this.file(), this.position);
        return this.fallback.next();
      }
      const available = Math.min(this.download.readable, last);
      const held = this.download.recent.slice(this.position, available);
      if (held) {
        this.position += held.length;
        return held;
      }
      // Bytes no longer held in memory are always in the file.
      const inFile = Math.min(available, this.download.written);
      if (this.position < inFile) {
        const length = Math.min(buffer.length, inFile - this.position);
        const { bytesRead } = await (await this.file()).read(buffer, 0, length, this.position);
        if (bytesRead === 0) throw new Error(`the cached bytes of ${this.download.digest} ended early`);
        this.position += bytesRead;
        return buffer.subarray(0, bytesRead);
      }
      if (this.download.state === 'done' && this.position >= this.download.written) return null;
      await new Promise<void>((resolve) => {
        const unsubscribe = this.download.onChange(() => this.stopWaiting?.());
        this.stopWaiting = () => {
          this.stopWaiting = undefined;
          unsubscribe();
          resolve();
        };
      });
    }
  }

  bytesLeft(): number | undefined {
    const last = this.end ?? (this.download.size === null ? undefined : this.download.size - 1);
    return last === undefined ? undefined : Math.max(0, last + 1 - this.position);
  }

  async close(): Promise<void> {
    if (!this.closed) this.download.readers--;
    this.closed = true;
    this.stopWaiting?.();
    this.fallback?.close();
    const opening = this.opening;
    this.opening = undefined;
    const file = await opening?.catch(() => undefined);
    await file?.close().catch(() => {});
  }

  private async file(): Promise<FileHandle> {
    if (!this.opening) throw new Error('the blob reader was closed');
    return this.opening;
  }
}

async function openFile(download: BlobDownload): Promise<FileHandle> {
  try {
    return await open(download.tempPath, 'r');
  } catch (error) {
    // The download already finished (renamed) or failed before we opened it.
    if (download.state === 'done') return open(download.finalPath, 'r');
    throw download.error ?? error;
  }
}

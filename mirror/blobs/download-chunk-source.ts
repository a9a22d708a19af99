// One byte range of a blob that is still being downloaded, as a chunk source. It hands out the
// download's newest chunks from memory when it keeps up, reads the temp file through its own
// descriptor when it is behind, and waits for more bytes when it catches up, so it serves a
// client as fast as the upstream delivers and a late joiner from the start.
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { ChunkSource } from './buffer-pool.js';
import type { BlobDownload } from './blob-download.js';
import { RegistryError } from '../errors.js';

export class DownloadChunkSource implements ChunkSource {
  private file: FileHandle | undefined;
  private opening: Promise<FileHandle> | undefined;
  private position: number;
  private closed = false;
  private stopWaiting: (() => void) | undefined;
  /** Set once the download lost its disk and this reader fetches the rest itself. */
  private fallback: UpstreamRemainder | undefined;

  /** `end` is inclusive; undefined means to the end of the blob. */
  constructor(
    private readonly download: BlobDownload,
    start: number,
    private readonly end: number | undefined,
  ) {
    this.position = start;
    // Opened now, before the download can rename the file into the store; the descriptor survives it.
    this.opening = this.openFile();
    this.opening.catch(() => {});
  }

  private async openFile(): Promise<FileHandle> {
    try {
      return await open(this.download.tempPath, 'r');
    } catch (error) {
      // The download already finished (renamed) or failed before we opened it.
      if (this.download.state === 'done') return open(this.download.finalPath, 'r');
      throw this.download.error ?? error;
    }
  }

  async next(buffer: Buffer): Promise<Buffer | null> {
    if (!this.file) {
      this.file = await this.opening!;
      if (this.closed) await this.close();
    }
    if (this.fallback) return this.fallback.next();
    for (;;) {
      if (this.closed) throw new Error('the blob reader was closed');
      const last = this.end !== undefined ? this.end + 1 : this.download.state === 'done' ? this.download.written : Infinity;
      if (this.position >= last) return null;
      if (this.download.state === 'failed') {
        if (!this.download.localWriteError || this.end !== undefined) throw this.download.error;
        this.fallback = await UpstreamRemainder.start(this.download, this.file, this.position);
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
        const { bytesRead } = await this.file.read(buffer, 0, length, this.position);
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
    this.closed = true;
    this.stopWaiting?.();
    this.fallback?.close();
    const file = this.file;
    this.file = undefined;
    await file?.close().catch(() => {});
    if (!file) await this.opening?.then((late) => late.close()).catch(() => {});
  }
}

/**
 * The download stopped because our disk refused a write (disk full): the rest comes from the
 * upstream for this client alone. The bytes already sent are re-read through our descriptor
 * (still valid after the temp file was removed) to keep verifying the whole blob, and the last
 * chunk is held back until the digest matches.
 */
class UpstreamRemainder {
  private held: Buffer | null = null;
  private done = false;

  private constructor(
    private readonly digest: string,
    private readonly body: Readable,
    private readonly chunks: AsyncIterator<Buffer>,
    private readonly hash: ReturnType<typeof createHash>,
  ) {}

  static async start(download: BlobDownload, file: FileHandle, position: number): Promise<UpstreamRemainder> {
    const hash = createHash('sha256');
    // What reached the file before the disk failed is read back; anything newer is still in `recent`.
    const inFile = Math.min(position, download.written);
    const prefix = Buffer.allocUnsafe(Math.min(inFile, 1024 * 1024));
    for (let offset = 0; offset < inFile; ) {
      const { bytesRead } = await file.read(prefix, 0, Math.min(prefix.length, inFile - offset), offset);
      if (bytesRead === 0) throw new Error('the cached prefix of the blob could not be re-read');
      hash.update(prefix.subarray(0, bytesRead));
      offset += bytesRead;
    }
    for (let offset = inFile; offset < position; ) {
      const held = download.recent.slice(offset, position);
      if (!held) throw new Error('the received prefix of the blob is no longer held');
      hash.update(held);
      offset += held.length;
    }
    const body = await download.fetchRemainder(position);
    return new UpstreamRemainder(download.digest, body, body[Symbol.asyncIterator]() as AsyncIterator<Buffer>, hash);
  }

  async next(): Promise<Buffer | null> {
    while (!this.done) {
      const step = await this.chunks.next();
      if (step.done) {
        this.done = true;
        const actual = `sha256:${this.hash.digest('hex')}`;
        if (actual !== this.digest) throw new RegistryError('DIGEST_INVALID', `the upstream sent bytes for ${this.digest} that hash to ${actual}`);
        break;
      }
      this.hash.update(step.value);
      const previous = this.held;
      this.held = step.value;
      if (previous) return previous;
    }
    const last = this.held;
    this.held = null;
    return last;
  }

  close(): void {
    this.body.destroy();
  }
}

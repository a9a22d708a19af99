// A stored blob, or one byte range of it, as a chunk source: read into the sender's buffers.
import { open, type FileHandle } from 'node:fs/promises';
import type { ChunkSource } from './chunk-source.js';

/** Reads `[start, end]` (inclusive; end undefined: to the end of the file) of a stored blob. */
export class FileChunkSource implements ChunkSource {
  private file: FileHandle | undefined;
  private closed = false;
  private position: number;

  constructor(
    private readonly path: string,
    start: number,
    private readonly end: number,
  ) {
    this.position = start;
  }

  async next(buffer: Buffer): Promise<Buffer | null> {
    if (this.closed) throw new Error('the blob source was closed');
    if (this.position > this.end) return null;
    if (!this.file) {
      const file = await open(this.path, 'r');
      if (this.closed) {
        await file.close();
        throw new Error('the blob source was closed');
      }
      this.file = file;
    }
    const length = Math.min(buffer.length, this.end + 1 - this.position);
    const { bytesRead } = await this.file.read(buffer, 0, length, this.position);
    if (bytesRead === 0) throw new Error(`${this.path} ended ${this.end + 1 - this.position} bytes early`);
    this.position += bytesRead;
    return buffer.subarray(0, bytesRead);
  }

  bytesLeft(): number {
    return Math.max(0, this.end + 1 - this.position);
  }

  async close(): Promise<void> {
    this.closed = true;
    const file = this.file;
    this.file = undefined;
    await file?.close().catch(() => {});
  }
}

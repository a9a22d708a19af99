// Blob bodies as a pull of chunks rather than a Readable: the sender hands each source a buffer
// to fill and takes it back once the socket has taken the bytes, so streaming a blob reuses a
// few large buffers instead of allocating (and later collecting) one per read. Gigabytes of
// garbage buffers are what drove the mirror's RSS up while it streamed large blobs.
import { open, type FileHandle } from 'node:fs/promises';

/** Large reads keep syscalls and thread-pool hops per byte low; measured best near 1 MiB. */
export const chunkBytes = 1024 * 1024;

export interface ChunkSource {
  /**
   * The next bytes of the body: either `buffer` (or its start) filled by the source, or bytes the
   * source already holds. Null at the end. Rejects when the body cannot be completed.
   */
  next(buffer: Buffer): Promise<Buffer | null>;
  /** Releases what the source holds; safe to call more than once and before any next(). */
  close(): Promise<void>;
}

export function isChunkSource(value: unknown): value is ChunkSource {
  return typeof value === 'object' && value !== null && typeof (value as ChunkSource).next === 'function' && typeof (value as ChunkSource).close === 'function';
}

/**
 * Free buffers shared by all senders. Only buffers whose write has completed come back, and at
 * most `keep` are kept, so an idle mirror holds a few MiB at most.
 */
export class BufferPool {
  private readonly free: Buffer[] = [];

  constructor(
    readonly size: number,
    private readonly keep: number,
  ) {}

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  give(buffer: Buffer): void {
    if (this.free.length < this.keep && buffer.length === this.size) this.free.push(buffer);
  }
}

export const sharedBufferPool = new BufferPool(chunkBytes, 16);

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

  async close(): Promise<void> {
    this.closed = true;
    const file = this.file;
    this.file = undefined;
    await file?.close().catch(() => {});
  }
}

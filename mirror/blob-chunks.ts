// Blob bodies as a pull of chunks rather than a Readable: the sender hands each source a buffer
// to fill and takes it back once the socket has taken the bytes, so streaming a blob reuses a
// few large buffers instead of allocating (and later collecting) one per read. Gigabytes of
// garbage buffers are what drove the mirror's RSS up while it streamed large blobs.
import { open, type FileHandle } from 'node:fs/promises';

/**
 * Send buffers are all this size: large enough that one client reading a cached blob costs few
 * syscalls, small enough that many slow clients do not pin much memory between them.
 */
export const chunkBytes = 256 * 1024;

export interface ChunkSource {
  /**
   * The next bytes of the body: either `buffer` (or its start) filled by the source, or bytes the
   * source already holds. Null at the end. Rejects when the body cannot be completed.
   */
  next(buffer: Buffer): Promise<Buffer | null>;
  /** Releases what the source holds; safe to call more than once and before any next(). */
  close(): Promise<void>;
  /** Bytes still to come when known, so a small body does not take a whole pool buffer. */
  bytesLeft?(): number | undefined;
}

export function isChunkSource(value: unknown): value is ChunkSource {
  return typeof value === 'object' && value !== null && typeof (value as ChunkSource).next === 'function' && typeof (value as ChunkSource).close === 'function';
}

/**
 * Send buffers for all clients. The pool keeps up to `keep` buffers for reuse, so steady
 * streaming allocates nothing: the gigabytes of short-lived read buffers a stream used to leave
 * for the GC, and the fragmented heap they left behind, were what drove RSS up. Each stream may
 * hold an equal share of the budget (one to eight buffers, filling plus in the socket), so one
 * client gets deep pipelining and two hundred do not pin 200 × 2 MiB.
 */
export class BufferPool {
  private readonly free: Buffer[] = [];
  private streams = 0;

  /** `budget`: buffers shared out among open streams; `keep`: free buffers kept for reuse. */
  constructor(
    readonly bufferBytes: number,
    private readonly budget: number,
    private readonly keep: number,
  ) {}

  /** Counts a stream in, for its share of the budget, until the returned function is called. */
  open(): () => void {
    this.streams++;
    let closed = false;
    return () => {
      if (closed) return;
      closed = true;
      this.streams--;
    };
  }

  /** How many buffers' worth each open stream may hold now. */
  get share(): number {
    return Math.max(1, Math.min(8, Math.floor(this.budget / Math.max(1, this.streams))));
  }

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.bufferBytes);
  }

  /** Takes back a buffer no one references any more (its write completed). */
  give(buffer: Buffer): void {
    if (buffer.length === this.bufferBytes && this.free.length < this.keep) this.free.push(buffer);
  }
}

export const sharedBufferPool = new BufferPool(chunkBytes, 16, 32);

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

// Blob bodies as a pull of chunks rather than a Readable: the sender hands each source a buffer
// to fill and takes it back once the socket has taken the bytes, so streaming a blob reuses a
// few large buffers instead of allocating (and later collecting) one per read. Gigabytes of
// garbage buffers are what drove the mirror's RSS up while it streamed large blobs.
import { open, type FileHandle } from 'node:fs/promises';

/** Send buffer sizes, largest first: 1 MiB reads cost a lone client ~30% less CPU than 256 KiB. */
const bufferSizes = [1024 * 1024, 256 * 1024, 64 * 1024] as const;
/**
 * Beyond 64 streams the budget cannot give each two 64 KiB buffers; they then get 16 KiB ones, so
 * hundreds of clients that stopped reading pin a few MiB in all, not 64 KiB each.
 */
const crowdedBufferSize = 16 * 1024;
/** At most this many buffers per stream: more stopped paying off in measurements. */
const maxBuffersPerStream = 4;

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

/** What one stream may use now: buffers of `size` bytes, `count` of them (filling plus in flight). */
export interface Allowance {
  size: number;
  count: number;
}

/**
 * Send buffers for all clients, within one budget shared by the open streams: a lone client
 * gets four 1 MiB buffers, eight get two of 256 KiB each, two hundred one of 64 KiB each. Free
 * buffers are kept for reuse (up to `keepBytes`), so steady streaming allocates nothing: the
 * gigabytes of short-lived read buffers a stream used to leave for the GC, and the fragmented
 * heap they left behind, were what drove RSS up. Only buffers whose write completed come back.
 */
export class BufferPool {
  private readonly free = new Map<number, Buffer[]>();
  private freeBytes = 0;
  private streams = 0;

  constructor(
    private readonly budgetBytes: number,
    private readonly keepBytes: number,
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

  /** The largest size of which the stream's share holds two buffers; the smallest size otherwise. */
  allowance(): Allowance {
    const share = this.budgetBytes / Math.max(1, this.streams);
    const smallest = bufferSizes[bufferSizes.length - 1];
    const size = bufferSizes.find((candidate) => share >= 2 * candidate) ?? (share >= smallest ? smallest : crowdedBufferSize);
    return { size, count: Math.max(1, Math.min(maxBuffersPerStream, Math.floor(share / size))) };
  }

  take(size: number): Buffer {
    const buffer = this.free.get(size)?.pop();
    if (!buffer) return Buffer.allocUnsafeSlow(size);
    this.freeBytes -= size;
    return buffer;
  }

  /** Takes back a buffer no one references any more (its write completed). */
  give(buffer: Buffer): void {
    const size = buffer.length;
    if ((!(bufferSizes as readonly number[]).includes(size) && size !== crowdedBufferSize) || this.freeBytes + size > this.keepBytes) return;
    const list = this.free.get(size);
    if (list) list.push(buffer);
    else this.free.set(size, [buffer]);
    this.freeBytes += size;
  }
}

export const sharedBufferPool = new BufferPool(4 * 1024 * 1024, 8 * 1024 * 1024);

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

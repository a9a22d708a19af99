// Blob bodies as a pull of chunks rather than a Readable: the sender hands each source a buffer
// to fill and takes it back once the socket has taken the bytes, so streaming a blob reuses a
// few large buffers (BufferPool) instead of allocating, and later collecting, one per read.

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

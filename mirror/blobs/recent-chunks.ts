// The newest bytes of a running download, kept as the chunks the upstream sent. Clients that
// keep up with the download are served these very buffers: no copy, no read back from the temp
// file, no wait for the disk. Chunks not yet in the file always stay; written ones are dropped,
// oldest first, beyond a small cap, and a client that falls behind reads the file instead.

export class RecentChunks {
  private chunks: Buffer[] = [];
  private starts: number[] = [];
  private heldBytes = 0;
  /** The offset just past the newest chunk: every byte received so far. */
  end = 0;

  constructor(private readonly capBytes: number) {}

  get bytes(): number {
    return this.heldBytes;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.starts.push(this.end);
    this.end += chunk.length;
    this.heldBytes += chunk.length;
  }

  /** Lets go of the oldest chunks that lie wholly below `durable` (in the file) while over the cap. */
  trim(durable: number): void {
    let drop = 0;
    let held = this.heldBytes;
    while (drop < this.chunks.length && held > this.capBytes && this.starts[drop]! + this.chunks[drop]!.length <= durable) {
      held -= this.chunks[drop]!.length;
      drop++;
    }
    if (drop === 0) return;
    this.chunks.splice(0, drop);
    this.starts.splice(0, drop);
    this.heldBytes = held;
  }

  /** The held bytes from `position` up to `limit` (exclusive) within one chunk; undefined when not held. */
  slice(position: number, limit: number): Buffer | undefined {
    if (position >= limit || this.chunks.length === 0 || position < this.starts[0]! || position >= this.end) return undefined;
    // Binary search: the last chunk starting at or before `position`.
    let low = 0;
    let high = this.chunks.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.starts[middle]! <= position) low = middle;
      else high = middle - 1;
    }
    const start = this.starts[low]!;
    const chunk = this.chunks[low]!;
    return chunk.subarray(position - start, Math.min(start + chunk.length, limit) - start);
  }

  clear(): void {
    this.chunks = [];
    this.starts = [];
    this.heldBytes = 0;
  }
}

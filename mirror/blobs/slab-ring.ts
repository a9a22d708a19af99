// A running download's received bytes, copied out of the upstream socket's buffers into a few
// large slabs that the download reuses. A socket read is a 64 KiB buffer of its own; a download
// kept each one until the disk had it and readers had passed it, long enough for V8 to promote
// it out of the young generation, where a dead buffer waits for a full collection: a cold 4 GiB
// pull carried 6–30 MiB of such dead buffers. Copied at once, the socket's buffer dies young and
// is freed by the next scavenge, and what the download keeps is the same few slabs all along.

export class SlabRing {
  private current: Buffer | undefined;
  private used = 0;
  /** Slabs filled before `current`, oldest first, each with the offset just past its last byte. */
  private readonly filled: { slab: Buffer; end: number }[] = [];
  private readonly spare: Buffer[] = [];
  /** Copies handed to sockets and not yet taken by the kernel, per slab. */
  private readonly lentBySlab = new WeakMap<ArrayBufferLike, number>();
  /** The download offset just past the newest byte copied. */
  private offset = 0;

  /**
   * `keepBytes` is what the download may hold at once (its disk backlog and what readers take
   * from memory): slabs within it are kept for reuse, so a whole batch written at once comes
   * back for the next, and a download whose backlog shrank lets the surplus go.
   */
  constructor(
    private readonly slabBytes: number,
    private readonly keepBytes: () => number,
  ) {}

  /** A copy of `chunk`, valid until release() has passed its last byte. */
  copy(chunk: Buffer): Buffer {
    const start = this.offset;
    this.offset += chunk.length;
    // Larger than a slab (not a socket read): a buffer of its own, left to the collector.
    if (chunk.length > this.slabBytes) return Buffer.from(chunk);
    if (!this.current || this.used + chunk.length > this.slabBytes) {
      if (this.current) this.filled.push({ slab: this.current, end: start });
      this.current = this.spare.pop() ?? Buffer.allocUnsafeSlow(this.slabBytes);
      this.used = 0;
    }
    chunk.copy(this.current, this.used);
    const copy = this.current.subarray(this.used, this.used + chunk.length);
    this.used += chunk.length;
    return copy;
  }

  /** A copy is handed to a socket, which may hold it for as long as its client does not read. */
  lend(copy: Buffer): void {
    this.lentBySlab.set(copy.buffer, (this.lentBySlab.get(copy.buffer) ?? 0) + 1);
  }

  /** The socket has taken a lent copy. */
  giveBack(copy: Buffer): void {
    const lent = this.lentBySlab.get(copy.buffer);
    if (lent !== undefined) this.lentBySlab.set(copy.buffer, lent - 1);
  }

  /**
   * The download holds no byte below `offset` any more: the slabs wholly below it are reused,
   * except those a socket still holds part of, which are left to the collector.
   */
  release(offset: number): void {
    while (this.filled.length > 0 && this.filled[0]!.end <= offset) {
      const { slab } = this.filled.shift()!;
      const free = (this.lentBySlab.get(slab.buffer) ?? 0) === 0;
      if (free && (this.filled.length + this.spare.length + 2) * this.slabBytes <= this.keepBytes()) this.spare.push(slab);
    }
  }

  /** No one holds any byte: every slab goes to the collector. */
  clear(): void {
    this.filled.length = 0;
    this.spare.length = 0;
    this.current = undefined;
    this.used = 0;
  }
}

// The send buffers chunk sources fill (chunk-source.ts): a few large buffers reused across
// reads instead of one allocated (and later collected) per read. Gigabytes of garbage buffers
// are what drove the mirror's RSS up while it streamed large blobs.

/** Send buffer sizes, largest first: 1 MiB reads cost a lone client ~30% less CPU than 256 KiB. */
const bufferSizes = [1024 * 1024, 256 * 1024, 64 * 1024] as const;
/**
 * Beyond 64 streams the budget cannot give each two 64 KiB buffers; they then get 16 KiB ones, so
 * hundreds of clients that stopped reading pin a few MiB in all, not 64 KiB each.
 */
const crowdedBufferSize = 16 * 1024;
/** At most this many buffers per stream: more stopped paying off in measurements. */
const maxBuffersPerStream = 4;

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

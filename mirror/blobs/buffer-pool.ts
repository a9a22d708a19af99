// The send buffers chunk sources fill (chunk-source.ts): a few large buffers reused across
// reads instead of one allocated (and later collected) per read. Gigabytes of garbage buffers
// are what drove the mirror's RSS up while it streamed large blobs.

/** Send buffer sizes, largest first: 1 MiB reads cost a lone client ~30% less CPU than 256 KiB. */
const bufferSizes = [1024 * 1024, 256 * 1024, 64 * 1024] as const;
/**
 * What a stream gets when the budget has no room for two 64 KiB buffers of its own: 16 KiB while
 * its share holds one, 4 KiB once even that is gone (the budget pinned by clients that stopped
 * reading, or a crowd of hundreds). 1,500 stalled clients at 16 KiB each pinned 24 MiB and took
 * the engine past 100 MiB of RSS; at 4 KiB they pin 6 MiB.
 */
const crowdedBufferSizes = [16 * 1024, 4 * 1024] as const;
/** At most this many buffers per stream: more stopped paying off in measurements. */
const maxBuffersPerStream = 4;

/** What one stream may use now: buffers of `size` bytes, `count` of them (filling plus in flight). */
export interface Allowance {
  size: number;
  count: number;
}

/** One stream's use of the pool: what it holds counts against the shared budget until given back. */
export interface PoolStream {
  allowance(): Allowance;
  take(size: number): Buffer;
  /** Takes back a buffer no one references any more (its write completed or it was never sent). */
  give(buffer: Buffer): void;
  /** The stream is done; its share goes to the others. Buffers it still holds count until given. */
  close(): void;
}

/**
 * Send buffers for all clients, within one budget of bytes lent out. A buffer handed to a socket
 * stays lent until its write completes, which for a client that stopped reading is never (until
 * the send timeout), so the budget counts what is lent, not only how many streams are open: a
 * stream is offered a share of the budget less what the other streams still hold. A lone client
 * gets four 1 MiB buffers; eight get two of 256 KiB each; a stream arriving while stalled streams
 * hold the budget gets one 4 KiB buffer, whatever order they came in, so lent bytes stay below
 * the budget plus 16 KiB per open stream (4 KiB once the budget is spent). Free buffers are kept for reuse (up to `keepBytes`), so
 * steady streaming allocates nothing.
 */
export class BufferPool {
  private readonly free = new Map<number, Buffer[]>();
  private freeBytes = 0;
  private streams = 0;
  private lentBytes = 0;
  private readonly lent = new Set<Buffer>();

  constructor(
    private readonly budgetBytes: number,
    private readonly keepBytes: number,
  ) {}

  /** Bytes in buffers handed out and not given back: what stalled clients can pin. */
  get lentNow(): number {
    return this.lentBytes;
  }

  /** Counts a stream in, for its share of the budget, until it is closed. */
  open(): PoolStream {
    this.streams++;
    let closed = false;
    const held = new Set<Buffer>();
    let heldBytes = 0;
    return {
      allowance: () => this.allowance(heldBytes),
      take: (size) => {
        const buffer = this.take(size);
        held.add(buffer);
        heldBytes += size;
        return buffer;
      },
      give: (buffer) => {
        if (!held.delete(buffer)) return;
        heldBytes -= buffer.length;
        this.give(buffer);
      },
      close: () => {
        if (closed) return;
        closed = true;
        this.streams--;
        // Writes still pending die with their socket: their buffers are left to the GC, never
        // reused (the kernel may still be copying from them), and stop counting as lent.
        for (const buffer of held) this.forget(buffer);
        held.clear();
        heldBytes = 0;
      },
    };
  }

  /**
   * The largest size of which the stream's share holds two buffers; the smallest size otherwise.
   * The share is the budget split among open streams, less what the others hold beyond theirs.
   */
  private allowance(heldByStream: number): Allowance {
    const heldByOthers = this.lentBytes - heldByStream;
    const share = Math.min(this.budgetBytes / Math.max(1, this.streams), this.budgetBytes - heldByOthers);
    const smallest = bufferSizes[bufferSizes.length - 1];
    const size =
      bufferSizes.find((candidate) => share >= 2 * candidate) ??
      (share >= smallest ? smallest : (crowdedBufferSizes.find((candidate) => share >= candidate) ?? crowdedBufferSizes[1]));
    return { size, count: Math.max(1, Math.min(maxBuffersPerStream, Math.floor(share / size))) };
  }

  private take(size: number): Buffer {
    let buffer = this.free.get(size)?.pop();
    if (buffer) this.freeBytes -= size;
    else buffer = Buffer.allocUnsafeSlow(size);
    this.lent.add(buffer);
    this.lentBytes += size;
    return buffer;
  }

  private give(buffer: Buffer): void {
    if (!this.lent.delete(buffer)) return;
    const size = buffer.length;
    this.lentBytes -= size;
    if (this.freeBytes + size > this.keepBytes) return;
    const list = this.free.get(size);
    if (list) list.push(buffer);
    else this.free.set(size, [buffer]);
    this.freeBytes += size;
  }

  private forget(buffer: Buffer): void {
    if (this.lent.delete(buffer)) this.lentBytes -= buffer.length;
  }
}

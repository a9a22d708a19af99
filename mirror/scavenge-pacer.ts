// Every read from an upstream socket is a fresh 64 KiB buffer, dead once the download has
// hashed it, written it to disk and let readers past it. V8 frees such a buffer only in a
// scavenge, and under a fast download its young generation barely fills, so the scavenge that
// comes is the one V8 starts for external memory, once 32 MiB of young buffers are outstanding
// (twice its default largest semi-space: a constant, which no flag changes). Those 32 MiB were
// most of the engine's peak on a cold 4 GiB layer, and they raised glibc's high-water mark for
// good, which is the idle floor the stuck-clients row started from. A scavenge every few MiB
// received keeps them to that.
//
// The engine's process runs with --expose-gc for this (process-flags.ts); without it (an engine
// inside a test's own process) the pacer does nothing.

type Collect = () => void;

/** Upstream bytes between two scavenges: the disk backlog of a lone download, so dead buffers stay below what is live. */
export const scavengeEveryBytes = 4 * 1024 * 1024;

export class ScavengePacer {
  private sinceLast = 0;

  constructor(
    private readonly collect: Collect | undefined = minorCollectionOfThisProcess(),
    private readonly everyBytes = scavengeEveryBytes,
  ) {}

  /** Counts bytes read from an upstream socket; starts a scavenge once `everyBytes` came in since the last. */
  received(bytes: number): void {
    if (!this.collect) return;
    this.sinceLast += bytes;
    if (this.sinceLast < this.everyBytes) return;
    this.sinceLast = 0;
    this.collect();
  }

  /** `count`, which also paces the scavenges. */
  counting(count: (bytes: number) => void): (bytes: number) => void {
    return (bytes) => {
      count(bytes);
      this.received(bytes);
    };
  }
}

/** A young-generation collection, when this process was started with --expose-gc. */
export function minorCollectionOfThisProcess(): Collect | undefined {
  const gc = (globalThis as { gc?: (options: { type: 'minor' }) => void }).gc;
  return gc ? () => gc({ type: 'minor' }) : undefined;
}

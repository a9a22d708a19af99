// A link of fixed bandwidth shared by every blob body the Hub stand-in sends, so a benchmark can
// put the upstream behind a WAN's bandwidth instead of loopback's: on loopback the stand-in, the
// mirror and the client only compete for the same two cores, which says nothing about whether a
// mirror keeps up with a real Docker Hub download.

export class LinkShaper {
  /** When (performance.now(), ms) the link will have sent every byte booked so far. */
  private busyUntil = 0;

  /** `burstMs`: how far ahead of the schedule a sender may run before it is held back. */
  constructor(
    readonly bytesPerSecond: number,
    private readonly burstMs = 50,
  ) {
    if (!(bytesPerSecond > 0)) throw new Error(`A link needs a positive rate, not ${bytesPerSecond} bytes/s.`);
  }

  /** Books `bytes` on the link; returns how many ms the sender should wait before sending more. */
  book(bytes: number): number {
    const now = performance.now();
    this.busyUntil = Math.max(this.busyUntil, now) + (bytes * 1000) / this.bytesPerSecond;
    return Math.max(0, this.busyUntil - now - this.burstMs);
  }
}

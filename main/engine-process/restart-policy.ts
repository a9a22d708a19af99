// When to start the engine process again after it died: 1 s, 2 s, 4 s … up to a cap, and back
// to the first delay once a process has stayed up for a stable period. Timing is injected so
// tests run the real sequence in milliseconds.

export interface RestartTiming {
  firstDelayMs: number;
  maxDelayMs: number;
  /** A process that ran this long before dying starts the sequence over. */
  stableMs: number;
}

export const defaultRestartTiming: RestartTiming = { firstDelayMs: 1000, maxDelayMs: 30_000, stableMs: 60_000 };

export class RestartPolicy {
  private failures = 0;

  constructor(private readonly timing: RestartTiming = defaultRestartTiming) {}

  /** The delay before the next start, given how long the process that just died had run. */
  nextDelay(uptimeMs: number): number {
    if (uptimeMs >= this.timing.stableMs) this.failures = 0;
    const delay = Math.min(this.timing.firstDelayMs * 2 ** this.failures, this.timing.maxDelayMs);
    this.failures++;
    return delay;
  }
}

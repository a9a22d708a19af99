// Concurrent callers asking for the same key share one in-flight promise. Owned by an
// instance (never module-global), so two engines in one process never share work.
export class SingleFlight<T> {
  private readonly inFlight = new Map<string, Promise<T>>();

  /** Runs `work` unless it is already running for `key`; `shared` tells the caller which. */
  async run(key: string, work: () => Promise<T>): Promise<{ value: T; shared: boolean }> {
    const existing = this.inFlight.get(key);
    if (existing) return { value: await existing, shared: true };
    const promise = work().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, promise);
    return { value: await promise, shared: false };
  }
}

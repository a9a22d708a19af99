// Keeps the store under its size cap by deleting least-recently-used blobs. Pinned blobs
// (being read) are skipped, and downloads in progress are not in the store yet, so neither is
// ever deleted under a client.
import type { BlobStore } from './blob-store.js';

export class Evictor {
  private running: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly store: BlobStore,
    private readonly maxBytes: () => number | null,
    private readonly onEvicted: (digest: string) => void,
  ) {}

  /** Requests an eviction pass; passes never overlap, and a request during one runs another. */
  request(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.pass().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        void this.request();
      }
    });
    return this.running;
  }

  private async pass(): Promise<void> {
    const cap = this.maxBytes();
    if (cap === null || this.store.totalBytes <= cap) return;
    for (const digest of this.store.evictionCandidates()) {
      if (this.store.totalBytes <= cap) return;
      if (await this.store.delete(digest)) this.onEvicted(digest);
    }
  }
}

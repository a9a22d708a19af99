// Keeps the store under its size cap. First blobs no kept image uses go, least recently used
// first; then whole images, least recently used first, each taking only its unique blobs (a
// blob another kept image uses stays). Pinned images and the blobs they use are never evicted,
// and blobs being read are skipped (the store refuses to delete them), so nothing disappears
// under a client. When only pinned content is left over the cap, onOverCap says so.
import type { ExpiryPreview } from '../keep/keep-warm-types.js';
import type { Pins } from '../keep/pins.js';
import { imageKey } from '../keep/pins.js';
import type { BlobStore } from './blob-store.js';
import type { RecordStore } from './records.js';
import type { ImageReferences, References } from './references.js';

export interface EvictorParts {
  store: BlobStore;
  records: RecordStore;
  references: References;
  pins: Pins;
  maxBytes: () => number | null;
  /** Images nobody pulled for this long are removed (unpinned ones only); null: no expiry. */
  expireAfterMs: () => number | null;
  now: () => number;
  onEvicted: (digest: string) => void;
  /** A sentence when pinned content alone is over the cap; null once the cache fits again. */
  onOverCap: (message: string | null) => void;
}

export class Evictor {
  private running: Promise<void> | null = null;
  private again = false;

  constructor(private readonly parts: EvictorParts) {}

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
    const { store, references, pins, maxBytes, onOverCap } = this.parts;
    const cap = maxBytes();
    const expireAfterMs = this.parts.expireAfterMs();
    if ((cap === null || store.totalBytes <= cap) && expireAfterMs === null) return onOverCap(null);
    await pins.load();
    const { images, counts } = await references.scan();
    const pinned = images.filter((image) => pins.has(imageKey(image.registry, image.repository, image.tag)));
    const protectedBlobs = new Set(pinned.flatMap((image) => [...image.blobs]));
    const expired = expiredImages(images, pinned, expireAfterMs, this.parts.now());
    for (const image of expired) await this.evictImage(image, counts, protectedBlobs);
    if (cap === null || store.totalBytes <= cap) return onOverCap(null);
    for (const digest of store.evictionCandidates()) {
      if (store.totalBytes <= cap) break;
      if (!counts.has(digest)) await this.deleteBlob(digest);
    }
    const evictable = images.filter((image) => !pinned.includes(image) && !expired.includes(image)).sort((a, b) => a.lastUsed - b.lastUsed);
    for (const image of evictable) {
      if (store.totalBytes <= cap) break;
      await this.evictImage(image, counts, protectedBlobs);
    }
    if (store.totalBytes <= cap) return onOverCap(null);
    onOverCap(
      `The cache holds ${formatSize(store.totalBytes)}, over its ${formatSize(cap)} cap, and what is left is pinned or being read: unpin an image, take one off the keep-warm list, or raise the cap.`,
    );
  }

  /**
   * A dry run of expiry: how many images and bytes it would remove now, counted exactly as a pass
   * removes them (pinned images and every blob they use stay, a blob another remaining image uses
   * stays). Nothing is deleted.
   */
  async expiryPreview(expireAfterMs: number | null): Promise<ExpiryPreview> {
    const { store, references, pins } = this.parts;
    if (expireAfterMs === null) return { expireAfterMs, images: 0, bytes: 0 };
    await pins.load();
    const { images, counts } = await references.scan();
    const pinned = images.filter((image) => pins.has(imageKey(image.registry, image.repository, image.tag)));
    const protectedBlobs = new Set(pinned.flatMap((image) => [...image.blobs]));
    const expired = expiredImages(images, pinned, expireAfterMs, this.parts.now());
    const left = new Map(counts);
    const removed = new Set<string>();
    for (const image of expired) {
      for (const digest of image.blobs) {
        const count = (left.get(digest) ?? 1) - 1;
        left.set(digest, count);
        if (count <= 0 && !protectedBlobs.has(digest) && store.has(digest)) removed.add(digest);
      }
    }
    const bytes = [...removed].reduce((sum, digest) => sum + (store.size(digest) ?? 0), 0);
    return { expireAfterMs, images: expired.length, bytes };
  }

  private async evictImage(image: ImageReferences, counts: Map<string, number>, protectedBlobs: Set<string>): Promise<void> {
    await this.parts.records.deleteTag(image.registry, image.repository, image.tag);
    for (const digest of image.blobs) {
      const left = (counts.get(digest) ?? 1) - 1;
      if (left > 0) counts.set(digest, left);
      else counts.delete(digest);
      if (left <= 0 && !protectedBlobs.has(digest) && this.parts.store.has(digest)) await this.deleteBlob(digest);
    }
  }

  private async deleteBlob(digest: string): Promise<void> {
    if (await this.parts.store.delete(digest)) this.parts.onEvicted(digest);
  }
}

/** Unpinned images whose last use (pull, or fetch) is older than `expireAfterMs`. */
export function expiredImages(images: ImageReferences[], pinned: ImageReferences[], expireAfterMs: number | null, now: number): ImageReferences[] {
  if (expireAfterMs === null) return [];
  return images.filter((image) => !pinned.includes(image) && now - image.lastUsed > expireAfterMs);
}

function formatSize(bytes: number): string {
  return bytes >= 1_000_000_000 ? `${(bytes / 1_000_000_000).toFixed(1)} GB` : `${(bytes / 1_000_000).toFixed(1)} MB`;
}

// Images the owner pinned, and the images on the keep-warm list (pinned while they are listed):
// the size cap and expiry never remove them or the blobs they use. The owner's pins are kept in
// the store's pins.json so they survive a restart; the keep list comes from its own file.
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../store/atomic-file.js';
import type { StorePaths } from '../store/paths.js';

/** `registryKey/repository:tag`, the way the records name an image. */
export function imageKey(registry: string, repository: string, tag: string): string {
  return `${registry}/${repository}:${tag}`;
}

export class Pins {
  private readonly owned = new Set<string>();
  private kept = new Set<string>();
  private loaded = false;

  constructor(private readonly paths: StorePaths) {}

  async load(): Promise<void> {
    if (this.loaded) return;
    const text = await readFile(this.paths.pins, 'utf8').catch(() => null);
    if (text) {
      try {
        const parsed = JSON.parse(text) as { pins?: unknown };
        if (Array.isArray(parsed.pins)) for (const key of parsed.pins) if (typeof key === 'string') this.owned.add(key);
      } catch {
        // A torn file reads as no pins; the next change writes it whole again.
      }
    }
    this.loaded = true;
  }

  has(key: string): boolean {
    return this.owned.has(key) || this.kept.has(key);
  }

  /** Whether the owner pinned it (a keep-list image is pinned without being in this set). */
  pinnedByOwner(key: string): boolean {
    return this.owned.has(key);
  }

  keptWarm(key: string): boolean {
    return this.kept.has(key);
  }

  async set(key: string, pinned: boolean): Promise<void> {
    await this.load();
    if (pinned === this.owned.has(key)) return;
    if (pinned) this.owned.add(key);
    else this.owned.delete(key);
    await writeFileAtomic(this.paths.pins, JSON.stringify({ pins: [...this.owned].sort() }), this.paths);
  }

  /** Replaces the keep-warm images (they are pinned for as long as they are on the list). */
  setKept(keys: Iterable<string>): void {
    this.kept = new Set(keys);
  }
}

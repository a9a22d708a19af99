// Which blobs each kept image uses, counted across images. An image is a tag record; it uses its
// manifest, and through an index every platform manifest the store holds, and their configs and
// layers. The counts are derived from the tag records and manifests on disk, never kept as a
// second copy: a copy could drift from them after a crash, and these files already survive a
// restart, so the counts do too.
import type { BlobStore } from './blob-store.js';
import type { RecordStore } from './records.js';

interface ManifestJson {
  manifests?: { digest?: unknown }[];
  config?: { digest?: unknown };
  layers?: { digest?: unknown }[];
}

export interface ImageReferences {
  /** The registry's store key (registryKey), as the records are kept. */
  registry: string;
  repository: string;
  tag: string;
  digest: string;
  /** The manifest's digest and everything it refers to that the store holds. */
  blobs: Set<string>;
  /** The platforms of an index's children, or of the manifest's config when known ("linux/amd64"). */
  platforms: string[];
  /** Last pull, or the last time the tag was fetched or confirmed: the LRU order of images. */
  lastUsed: number;
  lastPulled: number | null;
}

export interface ReferenceCounts {
  images: ImageReferences[];
  /** For each blob, how many kept images use it. */
  counts: Map<string, number>;
}

const digestPattern = /^sha256:[a-f0-9]{64}$/;

export class References {
  constructor(
    private readonly store: BlobStore,
    private readonly records: RecordStore,
  ) {}

  async scan(): Promise<ReferenceCounts> {
    const images: ImageReferences[] = [];
    const counts = new Map<string, number>();
    for (const { registry, repository } of await this.records.listRepositories()) {
      for (const { tag, record } of await this.records.listTags(registry, repository)) {
        const platforms: string[] = [];
        const blobs = await this.tree(record.digest, new Set(), platforms);
        images.push({ registry, repository, tag, digest: record.digest, blobs, platforms, lastUsed: Math.max(record.lastPulled ?? 0, record.checkedAt), lastPulled: record.lastPulled });
        for (const blob of blobs) counts.set(blob, (counts.get(blob) ?? 0) + 1);
      }
    }
    return { images, counts };
  }

  /** The digest itself and everything it references that the store holds. */
  async tree(digest: string, seen = new Set<string>(), platforms: string[] = []): Promise<Set<string>> {
    if (seen.has(digest)) return seen;
    seen.add(digest);
    const manifest = await this.readManifest(digest);
    if (!manifest) return seen;
    const children = new Set((manifest.manifests ?? []).map((m) => m.digest).filter((d): d is string => typeof d === 'string' && digestPattern.test(d)));
    for (const entry of manifest.manifests ?? []) {
      const platform = (entry as { platform?: { os?: unknown; architecture?: unknown; variant?: unknown } }).platform;
      if (typeof entry.digest === 'string' && this.store.has(entry.digest) && typeof platform?.os === 'string' && typeof platform.architecture === 'string') {
        platforms.push([platform.os, platform.architecture, typeof platform.variant === 'string' ? platform.variant : ''].filter(Boolean).join('/'));
      }
    }
    for (const child of children) await this.tree(child, seen, platforms);
    for (const blob of [manifest.config?.digest, ...(manifest.layers ?? []).map((l) => l.digest)]) {
      if (typeof blob === 'string' && digestPattern.test(blob)) seen.add(blob);
    }
    return seen;
  }

  private async readManifest(digest: string): Promise<ManifestJson | null> {
    if (!this.store.has(digest) || !(await this.records.readManifestMeta(digest))) return null;
    return this.store
      .read(digest)
      .then((bytes) => JSON.parse(bytes.toString('utf8')) as ManifestJson)
      .catch(() => null);
  }
}

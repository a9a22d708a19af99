// Refreshes one kept image: a HEAD of the tag (Docker Hub does not count it), then only what the
// store lacks: the manifest when the digest changed, the chosen platforms' manifests of an
// index, and their missing blobs. Every manifest GET (a counted pull) first asks the run's
// budget; a 429 from the upstream ends the image with the upstream's error, and the caller
// pauses the whole run.
import { isChunkSource } from '../blobs/chunk-source.js';
import type { UpstreamRegistry } from '../registries/upstream-registry.js';
import type { BlobStore } from '../store/blob-store.js';
import type { RecordStore } from '../store/records.js';
import type { KeepEntry } from './keep-list.js';

export class BudgetSpent extends Error {
  constructor() {
    super('The share of the rate limit this refresh may spend is used up.');
  }
}

/** The counted pulls one run may make: a share of what the upstream said was left, fixed at the first GET. */
export class RunBudget {
  private allowed: number | null = null;
  private used = 0;

  constructor(
    private readonly remaining: () => number | null,
    private readonly share: number,
  ) {}

  take(): void {
    if (this.allowed === null) {
      const left = this.remaining();
      this.allowed = left === null ? Number.POSITIVE_INFINITY : Math.floor(left * this.share);
    }
    if (this.used >= this.allowed) throw new BudgetSpent();
    this.used++;
  }

  get spent(): number {
    return this.used;
  }
}

export interface RefreshParts {
  store: BlobStore;
  records: RecordStore;
  now: () => number;
}

export interface ImageRefreshResult {
  /** unchanged: HEADs only. updated: the tag moved. repaired: same digest, missing parts fetched. */
  outcome: 'unchanged' | 'updated' | 'repaired';
  digest: string;
  manifestsFetched: number;
  blobsFetched: number;
}

interface ManifestJson {
  manifests?: { digest?: unknown; platform?: { os?: unknown; architecture?: unknown; variant?: unknown } }[];
  config?: { digest?: unknown; size?: unknown };
  layers?: { digest?: unknown; size?: unknown }[];
}

const digestPattern = /^sha256:[a-f0-9]{64}$/;

/**
 * Progress per layer: first the plan (what the store lacks), then each blob starting (`done`
 * false), its bytes as they arrive, and stored (`done` true).
 */
export type BlobProgress = (
  blob: { digest: string; size: number | null; done: boolean } | { plan: { layers: number; bytes: number } } | { digest: string; bytes: number },
) => void;

/** Byte progress is batched: a message per 256 KiB chunk would flood the window and the CLI's stream. */
const bytesReportEvery = 1024 * 1024;

export async function refreshImage(registry: UpstreamRegistry, parts: RefreshParts, entry: KeepEntry, budget: RunBudget, onBlob?: BlobProgress): Promise<ImageRefreshResult> {
  const { store, records, now } = parts;
  const { repository, tag } = entry;
  const before = await records.readTag(registry.key, repository, tag);
  const head = await registry.upstream.manifest('HEAD', repository, tag);
  const result: ImageRefreshResult = { outcome: 'unchanged', digest: head.digest, manifestsFetched: 0, blobsFetched: 0 };
  const fetchManifest = manifestFetcher(registry, store, repository, budget, result);
  await fetchManifest(head.digest);
  const meta = await records.readManifestMeta(head.digest);
  const latest = await records.readTag(registry.key, repository, tag);
  await records.writeTag(registry.key, repository, tag, {
    digest: head.digest,
    mediaType: meta?.mediaType ?? head.mediaType,
    size: meta?.size ?? head.size,
    checkedAt: now(),
    lastPulled: latest?.lastPulled ?? before?.lastPulled ?? null,
  });
  await fetchTree(registry, store, repository, head.digest, entry.platforms, fetchManifest, result, onBlob);
  if (before?.digest !== head.digest) result.outcome = 'updated';
  else if (result.manifestsFetched + result.blobsFetched > 0) result.outcome = 'repaired';
  return result;
}

export function manifestFetcher(registry: UpstreamRegistry, store: BlobStore, repository: string, budget: RunBudget, result: { manifestsFetched: number }): (digest: string) => Promise<void> {
  return async (digest) => {
    if (store.has(digest)) return;
    budget.take();
    await registry.manifests.get('GET', repository, { kind: 'digest', value: digest });
    result.manifestsFetched++;
  };
}

/** Fetches what the store lacks below a stored manifest: the wanted platforms of an index and every missing blob. */
export async function fetchTree(
  registry: UpstreamRegistry,
  store: BlobStore,
  repository: string,
  digest: string,
  platforms: string[] | null,
  fetchManifest: (digest: string) => Promise<void>,
  result: { blobsFetched: number },
  onBlob?: BlobProgress,
): Promise<void> {
  const top = await readManifest(store, digest);
  const images: ManifestJson[] = [];
  if (top?.manifests) {
    for (const child of top.manifests) {
      if (typeof child.digest !== 'string' || !digestPattern.test(child.digest) || !wanted(child.platform, platforms)) continue;
      await fetchManifest(child.digest);
      const manifest = await readManifest(store, child.digest);
      if (manifest) images.push(manifest);
    }
  } else if (top) {
    images.push(top);
  }
  const missing = new Map<string, number | null>();
  for (const image of images) {
    for (const blob of [image.config, ...(image.layers ?? [])]) {
      if (typeof blob?.digest !== 'string' || !digestPattern.test(blob.digest) || store.has(blob.digest)) continue;
      missing.set(blob.digest, typeof blob.size === 'number' ? blob.size : null);
    }
  }
  onBlob?.({ plan: { layers: missing.size, bytes: [...missing.values()].reduce<number>((sum, size) => sum + (size ?? 0), 0) } });
  for (const [digest, size] of missing) {
    if (store.has(digest)) continue;
    onBlob?.({ digest, size, done: false });
    await downloadBlob(registry, repository, digest, onBlob && ((bytes) => onBlob({ digest, bytes })));
    result.blobsFetched++;
    onBlob?.({ digest, size, done: true });
  }
}

function wanted(platform: { os?: unknown; architecture?: unknown; variant?: unknown } | undefined, platforms: string[] | null): boolean {
  if (!platforms) return true;
  if (!platform || typeof platform.os !== 'string' || typeof platform.architecture !== 'string') return false;
  const name = `${platform.os}/${platform.architecture}`;
  const full = typeof platform.variant === 'string' ? `${name}/${platform.variant}` : name;
  return platforms.includes(name) || platforms.includes(full);
}

async function readManifest(store: BlobStore, digest: string): Promise<ManifestJson | null> {
  if (!store.has(digest)) return null;
  return store
    .read(digest)
    .then((bytes) => JSON.parse(bytes.toString('utf8')) as ManifestJson)
    .catch(() => null);
}

/** Downloads a blob into the store through the blob service, as a client's GET would, without a client. */
async function downloadBlob(registry: UpstreamRegistry, repository: string, digest: string, onBytes?: (bytes: number) => void): Promise<void> {
  const body = await registry.blobs.open({ repository, digest, method: 'GET' });
  let unreported = 0;
  const count = (bytes: number, last = false): void => {
    unreported += bytes;
    if (onBytes && unreported > 0 && (last || unreported >= bytesReportEvery)) {
      onBytes(unreported);
      unreported = 0;
    }
  };
  try {
    const reader = body.reader;
    if (isChunkSource(reader)) {
      const buffer = Buffer.allocUnsafe(256 * 1024);
      try {
        for (let chunk = await reader.next(buffer); chunk !== null; chunk = await reader.next(buffer)) count(chunk.length);
      } finally {
        await reader.close();
      }
    } else if (reader) {
      for await (const chunk of reader) count((chunk as Buffer).length);
    }
    count(0, true);
  } finally {
    body.release();
  }
  // The download is stored after the last byte is verified; wait for it so "refreshed" means kept.
  await registry.blobs.settle();
}

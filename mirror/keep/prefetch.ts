// Prefetch: pulls images into the cache with no host involved ("before I take the laptop
// offline"). A tag is resolved with a HEAD and its tag record written, as a client's pull would;
// a digest is fetched as named. Progress goes out per image and per blob. Never more than the
// pulls the upstream says are left are spent, and the first 429 ends the prefetch.
import { RegistryError } from '../errors.js';
import type { RegistrySet } from '../registries/registry-set.js';
import { formatImageName, parseImageName, type ImageName } from './image-name.js';
import { BudgetSpent, fetchTree, type BlobProgress, manifestFetcher, refreshImage, RunBudget, type RefreshParts } from './image-refresh.js';

export type PrefetchProgress =
  | { image: string; state: 'started' | 'done'; digest?: string; blobsFetched?: number }
  | { image: string; state: 'failed'; message: string }
  | { image: string; state: 'blob'; digest: string; size: number | null; done: boolean }
  /** What the cache lacks of the image, known once its manifests are in: layers (and configs) and bytes. */
  | { image: string; state: 'plan'; layers: number; bytes: number }
  /** More bytes of a layer arrived (sent at most every 1 MiB or so, and at a layer's end). */
  | { image: string; state: 'bytes'; digest: string; bytes: number };

export interface PrefetchResult {
  image: string;
  ok: boolean;
  digest?: string;
  blobsFetched?: number;
  message?: string;
}

export async function prefetchImages(names: readonly string[], registries: RegistrySet, parts: RefreshParts, onProgress: (progress: PrefetchProgress) => void): Promise<PrefetchResult[]> {
  const results: PrefetchResult[] = [];
  const budgets = new Map<string, RunBudget>();
  let stop: string | null = null;
  for (const raw of names) {
    let name: ImageName;
    try {
      name = parseImageName(raw);
    } catch (error) {
      results.push(fail(raw.slice(0, 200), (error as Error).message, onProgress));
      continue;
    }
    const image = formatImageName(name);
    if (stop) {
      results.push(fail(image, stop, onProgress));
      continue;
    }
    const registry = registries.get(name.registry);
    if (!registry || !registry.config.enabled) {
      results.push(fail(image, `${name.registry} is not a registry this mirror serves.`, onProgress));
      continue;
    }
    let budget = budgets.get(registry.name);
    if (!budget) budgets.set(registry.name, (budget = new RunBudget(() => registry.dockerHubRateLimit?.remaining ?? null, 1)));
    onProgress({ image, state: 'started' });
    const onBlob: BlobProgress = (blob) => {
      if ('plan' in blob) onProgress({ image, state: 'plan', ...blob.plan });
      else if ('bytes' in blob) onProgress({ image, state: 'bytes', digest: blob.digest, bytes: blob.bytes });
      else onProgress({ image, state: 'blob', ...blob });
    };
    try {
      let digest: string;
      let blobsFetched: number;
      if (name.digest) {
        const counts = { manifestsFetched: 0, blobsFetched: 0 };
        const fetchManifest = manifestFetcher(registry, parts.store, name.repository, budget, counts);
        await fetchManifest(name.digest);
        await fetchTree(registry, parts.store, name.repository, name.digest, null, fetchManifest, counts, onBlob);
        digest = name.digest;
        blobsFetched = counts.blobsFetched;
      } else {
        const done = await refreshImage(registry, parts, { registry: name.registry, repository: name.repository, tag: name.tag!, platforms: null }, budget, onBlob);
        digest = done.digest;
        blobsFetched = done.blobsFetched;
      }
      onProgress({ image, state: 'done', digest, blobsFetched });
      results.push({ image, ok: true, digest, blobsFetched });
    } catch (error) {
      if (error instanceof BudgetSpent) stop = 'Not fetched: the upstream has no pulls left for now.';
      else if (error instanceof RegistryError && error.code === 'TOOMANYREQUESTS') stop = 'Not fetched: the upstream answered "too many requests"; try again later.';
      results.push(fail(image, stop ?? (error as Error).message.slice(0, 300), onProgress));
    }
  }
  return results;
}

function fail(image: string, message: string, onProgress: (progress: PrefetchProgress) => void): PrefetchResult {
  onProgress({ image, state: 'failed', message });
  return { image, ok: false, message };
}

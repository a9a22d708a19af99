// What every scenario shares: the one upstream, the random-layer images on it, and helpers that
// run a subject with a fresh cache and wait until the upstream has gone quiet.
import type { PushedImageManifest } from '../support/images.js';
import type { TestUpstream } from '../support/upstream.js';
import type { BenchOptions } from './options.js';
import { startDockmirror, startSubject, type DockmirrorSubject, type Subject, type SubjectName, type SubjectOptions } from './subjects.js';

export interface BenchImages {
  /** 64 MiB layer (quick: 4 MiB): concurrency, manifests and the load mix. */
  small?: PushedImageManifest;
  /** 256 MiB layer (quick: 16 MiB): cold and warm throughput. */
  medium?: PushedImageManifest;
  /** 1 GiB layer (quick: 32 MiB): peak RSS. */
  large?: PushedImageManifest;
  /** 4 GiB layer by default (--huge-mib): issue 16's large layer. */
  huge?: PushedImageManifest;
}

export interface BenchContext {
  upstream: TestUpstream;
  /** The CA of an https upstream, trusted by the subjects and the direct pull; unset for http. */
  upstreamCaFile?: string;
  images: BenchImages;
  options: BenchOptions;
  log(line: string): void;
}

export const SUBJECTS: readonly SubjectName[] = ['dockmirror', 'distribution'];

/** Every Hub stand-in of the bench: pull limits out of the way, since the load runs far past Docker Hub's. */
export const BENCH_HUB_LIMITS = { anonymousPullLimit: 1e12, userPullLimit: 1e12 } as const;

export function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`The benchmark did not prepare ${what}.`);
  return value;
}

export function layerOf(image: PushedImageManifest): { digest: string; size: number } {
  return need(image.layers[0], `a layer of ${image.repository}`);
}

export function blobUrl(base: string, image: PushedImageManifest, digest = layerOf(image).digest): string {
  return `${base}/v2/${image.repository}/blobs/${digest}`;
}

/** Starts a subject on a fresh cache with zeroed hub counters, runs fn, always stops it. */
export async function withSubject<T>(ctx: BenchContext, name: SubjectName, options: Omit<SubjectOptions, 'upstream'>, fn: (subject: Subject) => Promise<T>): Promise<T> {
  const subject = await startSubject(name, { ...options, upstream: ctx.upstream.url, caFile: ctx.upstreamCaFile });
  try {
    ctx.upstream.hub.resetStats();
    return await fn(subject);
  } finally {
    await subject.stop();
  }
}

export async function withDockmirror<T>(ctx: BenchContext, options: Omit<SubjectOptions, 'upstream'>, fn: (subject: DockmirrorSubject) => Promise<T>): Promise<T> {
  const subject = await startDockmirror({ ...options, upstream: ctx.upstream.url, caFile: ctx.upstreamCaFile });
  try {
    ctx.upstream.hub.resetStats();
    return await fn(subject);
  } finally {
    await subject.stop();
  }
}

/**
 * Waits until the upstream has sent no blob bytes for `quietMs` (distribution keeps fetching for
 * its storage after the client is served), bounded by `maxMs`; returns the bytes sent for digest.
 */
export async function settledBlobBytes(ctx: BenchContext, digest: string, quietMs = 1000, maxMs = 60_000): Promise<number> {
  const deadline = Date.now() + maxMs;
  let last = ctx.upstream.hub.stats().totalBlobBytesSent;
  let quietSince = Date.now();
  while (Date.now() < deadline && Date.now() - quietSince < quietMs) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = ctx.upstream.hub.stats().totalBlobBytesSent;
    if (now !== last) {
      last = now;
      quietSince = Date.now();
    }
  }
  return ctx.upstream.hub.stats().blobBytesSent[digest] ?? 0;
}

/** Manifest requests (GET and HEAD) that reached the upstream for one repository. */
export function upstreamManifestRequests(ctx: BenchContext, repository: string): number {
  const stats = ctx.upstream.hub.stats();
  return (stats.manifestGets[repository] ?? 0) + (stats.manifestHeads[repository] ?? 0);
}

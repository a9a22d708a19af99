// The engine's services built one by one, as the engine builds them, on a real store in a temp
// folder and an UpstreamClient pointed at the Hub stand-in, whose counters show what each call
// cost upstream: the way distribution tests its proxy stores, without the HTTP front.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { TestContext } from 'node:test';
import { BlobService } from '../../mirror/blobs/blob-service.js';
import { isChunkSource, type ChunkSource } from '../../mirror/blobs/chunk-source.js';
import { ManifestService } from '../../mirror/manifests/manifest-service.js';
import { BlobStore } from '../../mirror/store/blob-store.js';
import { CacheGuard } from '../../mirror/store/cache-guard.js';
import { StorePaths } from '../../mirror/store/paths.js';
import { RecordStore } from '../../mirror/store/records.js';
import { UpstreamClient } from '../../mirror/upstream/client.js';

export interface Services {
  cacheDir: string;
  store: BlobStore;
  records: RecordStore;
  upstream: UpstreamClient;
  blobs: BlobService;
  manifests: ManifestService;
  /** Bytes the services counted as received from the upstream. */
  upstreamBytes: () => number;
}

export interface ServicesOptions {
  now?: () => number;
  tagTtlMs?: number;
  /** Upstream idle timeout: short, so a held download resumes soon. */
  idleMs?: number;
}

/** The registry key the engine uses for a stand-in upstream on 127.0.0.1. */
export const testRegistry = 'test-upstream';

export async function startServices(t: TestContext, upstreamUrl: string, options: ServicesOptions = {}): Promise<Services> {
  const cacheDir = await mkdtemp(join(tmpdir(), 'dockmirror-services-'));
  const paths = new StorePaths(cacheDir);
  const now = options.now ?? Date.now;
  const store = new BlobStore(paths, now);
  await store.open();
  const records = new RecordStore(paths);
  const upstream = new UpstreamClient({ baseUrl: new URL(upstreamUrl), now, timeouts: { idleMs: options.idleMs ?? 5_000 } });
  let received = 0;
  const blobs = new BlobService({
    registry: testRegistry,
    store,
    records,
    upstream,
    guard: new CacheGuard(cacheDir, 0, () => {}, now),
    resumeDelaysMs: [0, 0, 0],
    onUpstreamBytes: (bytes) => (received += bytes),
  });
  const manifests = new ManifestService({ registry: testRegistry, store, records, upstream, tagTtlMs: options.tagTtlMs ?? 60_000, now });
  t.after(async () => {
    await blobs.settle();
    await upstream.close();
    await rm(cacheDir, { recursive: true, force: true });
  });
  return { cacheDir, store, records, upstream, blobs, manifests, upstreamBytes: () => received };
}

/** Reads a body to its end (a chunk source or a stream), closing it. */
export async function readBody(reader: ChunkSource | Readable | undefined): Promise<Buffer> {
  if (!reader) throw new Error('the body has no reader');
  const parts: Buffer[] = [];
  if (!isChunkSource(reader)) {
    for await (const chunk of reader) parts.push(chunk as Buffer);
    return Buffer.concat(parts);
  }
  try {
    for (;;) {
      const chunk = await reader.next(Buffer.allocUnsafe(64 * 1024));
      if (chunk === null) break;
      // The source may hand back the buffer it was given: keep a copy.
      parts.push(Buffer.from(chunk));
    }
  } finally {
    await reader.close();
  }
  return Buffer.concat(parts);
}

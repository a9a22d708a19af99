// Serving blobs: from the store when the repository is known to hold them, otherwise through
// one shared upstream download per digest (BlobDownload), whatever the number of clients, or
// relayed uncached while the disk takes no writes; a HEAD or a small range of a blob nobody is
// downloading asks the upstream for just that (upstream-only.ts). The source is chosen here, once,
// and the caller gets a ready body: the reader over the requested range, and what to say about it.
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { RegistryError } from '../errors.js';
import type { CacheResult } from '../public-types.js';
import { BlobDownload } from './blob-download.js';
import { parseRange, type ByteRange } from './byte-range.js';
import type { ChunkSource } from './chunk-source.js';
import { DownloadChunkSource } from './download-chunk-source.js';
import { FileChunkSource } from './file-chunk-source.js';
import { headFromUpstream, rangeFromUpstream, smallRange, type UpstreamOnlyBody } from './upstream-only.js';
import { VerifyingRelay } from './verifying-relay.js';
import type { BlobStore } from '../store/blob-store.js';
import type { CacheGuard } from '../store/cache-guard.js';
import type { RecordStore } from '../store/records.js';
import type { UpstreamClient } from '../upstream/client.js';

export interface BlobRequest {
  repository: string;
  digest: string;
  /** HEAD gets a body without a reader. */
  method: 'GET' | 'HEAD';
  /** The client's Range header, if any. */
  range?: string | string[];
}

/** A blob ready to send: what the HTTP answer says, and the reader of its bytes (GET only). */
export interface BlobBody {
  /** The whole blob's size; null when the upstream did not say. */
  size: number | null;
  /** The bytes served; null for the whole blob. */
  range: ByteRange | null;
  /** Whether Range requests are honoured for this body (a relay verifies only whole blobs). */
  acceptsRanges: boolean;
  reader?: ChunkSource | Readable;
  cache: CacheResult;
  upstreamMs: number;
  /** Runs once the answer is done, sent or not: unpins the blob, drops an unread upstream body. */
  release: () => void;
}

type BlobSource =
  | { kind: 'file'; path: string; size: number; release: () => void; cache: CacheResult; upstreamMs: number }
  | { kind: 'download'; download: BlobDownload; release: () => void; cache: CacheResult; upstreamMs: number }
  | { kind: 'relay'; body: Readable; size: number | null; release: () => void; cache: CacheResult; upstreamMs: number };

export interface BlobServiceOptions {
  registry: string;
  store: BlobStore;
  records: RecordStore;
  upstream: UpstreamClient;
  guard: CacheGuard;
  resumeDelaysMs?: number[];
  onUpstreamBytes?: (bytes: number) => void;
  /** Called after a download was verified and stored, so the engine can enforce the size cap. */
  onStored?: (digest: string) => void;
}

export class BlobService {
  private readonly downloads = new Map<string, BlobDownload>();
  /** Each download with its follow-up writes, until both are done. */
  private readonly completions = new Set<Promise<void>>();

  constructor(private readonly options: BlobServiceOptions) {}

  get activeDownloads(): number {
    return this.downloads.size;
  }

  /** The download of `digest` under way, if any. */
  running(digest: string): BlobDownload | undefined {
    return this.downloads.get(digest);
  }

  async open(request: BlobRequest): Promise<BlobBody> {
    const upstreamOnly = await this.withoutDownload(request);
    if (upstreamOnly) return { ...upstreamOnly, acceptsRanges: upstreamOnly.size !== null, cache: 'miss' };
    const source = await this.choose(request.repository, request.digest);
    try {
      return await this.bodyOf(source, request);
    } catch (error) {
      source.release();
      throw error;
    }
  }

  private async bodyOf(source: BlobSource, request: BlobRequest): Promise<BlobBody> {
    const { cache, upstreamMs, release } = source;
    const read = request.method === 'GET';
    if (source.kind === 'relay') {
      // RFC 9110 allows ignoring Range, which a relay must: it can verify only the whole blob.
      return { size: source.size, range: null, acceptsRanges: false, reader: read ? source.body : undefined, cache, upstreamMs, release };
    }
    const size = source.kind === 'file' ? source.size : source.download.size;
    const range = size === null ? null : parseRange(request.range, size);
    const body: BlobBody = { size, range, acceptsRanges: size !== null, cache, upstreamMs, release };
    if (!read) return body;
    if (source.kind === 'file') body.reader = new FileChunkSource(source.path, range?.start ?? 0, range?.end ?? source.size - 1);
    else body.reader = await DownloadChunkSource.open(source.download, range?.start ?? 0, range?.end);
    return body;
  }

  /**
   * A HEAD, or a small range, of a blob neither stored nor being downloaded costs the upstream
   * a HEAD or that range, not the whole blob. Undefined: serve it the usual way.
   */
  private async withoutDownload(request: BlobRequest): Promise<UpstreamOnlyBody | undefined> {
    const { repository, digest, method } = request;
    const { store, upstream } = this.options;
    if (store.has(digest) || this.downloads.has(digest)) return undefined;
    if (method === 'HEAD') return headFromUpstream(upstream, repository, digest, request.range);
    const range = smallRange(request.range);
    return range && rangeFromUpstream(upstream, repository, digest, range, this.options.onUpstreamBytes);
  }

  /** Decides where the bytes come from: the store, a shared download, or a relay. */
  private async choose(repository: string, digest: string): Promise<BlobSource> {
    const { store } = this.options;
    let upstreamMs = 0;
    if (store.has(digest)) {
      const release = store.pin(digest);
      try {
        upstreamMs = await this.confirmRepositoryHas(repository, digest);
        const info = await stat(store.pathOf(digest)).catch(() => null);
        if (info) {
          store.touch(digest);
          return { kind: 'file', path: store.pathOf(digest), size: info.size, release, cache: 'hit', upstreamMs };
        }
        // The file vanished behind our back (deleted by hand): fetch it again.
        store.forget(digest);
        release();
      } catch (error) {
        release();
        throw error;
      }
    }
    let download = this.downloads.get(digest);
    let cache: CacheResult = 'coalesced';
    if (download && download.repository !== repository) {
      upstreamMs = await this.confirmRepositoryHas(repository, digest);
    }
    if (!download) {
      if (!(await this.options.guard.canCache())) return this.relay(repository, digest);
      // Another request may have started the download while we asked the guard.
      download = this.downloads.get(digest);
    }
    if (!download) {
      cache = 'miss';
      download = this.startDownload(repository, digest);
    }
    await download.started;
    // Our disk refused the download before it began (read-only, full): serve this client anyway.
    if (download.state === 'failed' && download.localWriteError && download.written === 0) return this.relay(repository, digest);
    if (download.state === 'failed') throw download.error!;
    return { kind: 'download', download, release: () => {}, cache, upstreamMs: upstreamMs + download.upstreamMs };
  }

  /** Streams straight from the upstream, verified but not stored, while the cache takes no writes. */
  private async relay(repository: string, digest: string): Promise<BlobSource> {
    const started = Date.now();
    const reply = await this.options.upstream.blob(repository, digest);
    const length = Number(reply.headers['content-length']);
    const relay = new VerifyingRelay(digest);
    reply.body.on('data', (chunk: Buffer) => this.options.onUpstreamBytes?.(chunk.length));
    reply.body.on('error', (error) => relay.destroy(error));
    reply.body.pipe(relay);
    const size = reply.headers['content-length'] !== undefined && Number.isFinite(length) ? length : null;
    return { kind: 'relay', body: relay, size, release: () => reply.body.destroy(), cache: 'miss', upstreamMs: Date.now() - started };
  }

  /**
   * Waits for every running download to end and for what follows it (the repository link record),
   * so a stopped engine writes nothing more into its folder (used on shutdown).
   */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.completions]);
  }

  private startDownload(repository: string, digest: string): BlobDownload {
    const download = new BlobDownload({
      repository,
      digest,
      upstream: this.options.upstream,
      store: this.options.store,
      resumeDelaysMs: this.options.resumeDelaysMs,
      onUpstreamBytes: this.options.onUpstreamBytes,
      runningDownloads: () => this.downloads.size,
    });
    this.downloads.set(digest, download);
    download.start();
    const completion = download.finished
      .then(async () => {
        this.options.guard.writeSucceeded();
        await this.options.records.addLink(this.options.registry, repository, digest).catch(() => {});
        this.options.onStored?.(digest);
      })
      .catch(() => {
        if (download.localWriteError) this.options.guard.writeFailed(download.localWriteError);
      })
      .finally(() => {
        this.downloads.delete(digest);
        this.completions.delete(completion);
      });
    this.completions.add(completion);
    return download;
  }

  /**
   * A blob cached for one repository is served for another only once the upstream confirmed
   * that repository holds it, so the cache never hands out what the upstream would refuse.
   * Returns the time spent asking the upstream (0 when the link was already known).
   */
  private async confirmRepositoryHas(repository: string, digest: string): Promise<number> {
    const { records, registry, upstream } = this.options;
    if (await records.hasLink(registry, repository, digest)) return 0;
    const started = Date.now();
    if (!(await upstream.blobExists(repository, digest))) {
      throw new RegistryError('BLOB_UNKNOWN', `blob unknown: the upstream does not serve ${digest} for ${repository}`);
    }
    // The upstream's answer stands even when a read-only or full disk cannot remember it.
    await records.addLink(registry, repository, digest).catch(() => {});
    return Date.now() - started;
  }
}

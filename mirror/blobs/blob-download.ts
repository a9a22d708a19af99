// One upstream download of one blob, shared by every client that asks for it while it runs.
// Bytes go to a temp file as they arrive; readers follow that file (each with its own file
// descriptor, which stays valid across the final rename), so a late joiner starts from byte 0
// without a second upstream request, and readers that keep up take the newest bytes straight
// from memory (RecentChunks). A cut connection is resumed with a Range request. The
// blob enters the store only after its sha256 and size are verified, and readers are held one
// byte short of the end until then, so no client ever sees a complete transfer of wrong bytes.
import { createHash, type Hash } from 'node:crypto';
import { open, rm, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { BlobAppender } from './blob-appender.js';
import { RecentChunks } from './recent-chunks.js';
import { RegistryError } from '../errors.js';
import type { BlobStore } from '../store/blob-store.js';
import { diskErrorCode } from '../store/disk-errors.js';
import type { UpstreamClient, UpstreamReply } from '../upstream/client.js';
import { badUpstream } from '../upstream/failures.js';

/**
 * How far the disk may fall behind the network before the upstream body is paused. The
 * temp-file writes run on libuv's pool, whose threads wait for a core like any other: with
 * 1 MiB of slack a cold 256 MiB pull on a busy two-core machine paused its upstream ~300
 * times, each pause a stall of the whole TCP stream; with 4 MiB ~10, and its throughput went
 * from a median 0.88x of distribution's to 0.95x (2 MiB gained nothing clear). The slack is
 * shared: downloads side by side split `sharedBacklogBytes`, and readers of one download split
 * `loneBacklogBytes`, since eight readers of a download that never paused took the engine from
 * ~80 to ~102 MiB of RSS (measured, test/bench/RESULTS.md).
 */
const loneBacklogBytes = 4 * 1024 * 1024;
const sharedBacklogBytes = 8 * 1024 * 1024;
const leastBacklogBytes = 1024 * 1024;

/** The disk backlog a download may reach before it pauses its upstream, with `downloads` running and `readers` of its own. */
export function diskBacklogBytes(downloads: number, readers: number): number {
  const share = Math.min(loneBacklogBytes / Math.max(1, readers), sharedBacklogBytes / Math.max(1, downloads));
  return Math.max(leastBacklogBytes, Math.min(loneBacklogBytes, Math.floor(share)));
}

/** Bytes already in the file that stay in memory for readers close behind the download. */
const recentBytes = 512 * 1024;

export type DownloadState = 'starting' | 'running' | 'done' | 'failed';

export interface BlobDownloadOptions {
  repository: string;
  digest: string;
  upstream: UpstreamClient;
  store: BlobStore;
  /** Backoff before each resume after a cut connection; its length is the number of resumes. */
  resumeDelaysMs?: number[];
  onUpstreamBytes?: (bytes: number) => void;
  /** Downloads running now, this one included, which share the disk backlog; 1 when absent. */
  runningDownloads?: () => number;
}

export class BlobDownload {
  readonly digest: string;
  readonly repository: string;
  readonly tempPath: string;
  state: DownloadState = 'starting';
  error: RegistryError | undefined;
  /** Set when the download failed because our own disk refused a write (ENOSPC, EACCES …). */
  localWriteError: string | undefined;
  /** Bytes of the blob written to the temp file so far. */
  written = 0;
  /** Bytes received and hashed so far: those in the file and the newest, still in `recent`. */
  received = 0;
  /** The newest bytes, at least all of those received but not yet written. */
  readonly recent = new RecentChunks(recentBytes);
  /** Clients reading this download now (DownloadChunkSource counts itself in and out). */
  readers = 0;
  /** From the upstream's Content-Length; null when it did not say. */
  size: number | null = null;
  upstreamMs = 0;
  /** Resolves once the upstream answered (size known) or the download failed. */
  readonly started: Promise<void>;
  /** Resolves when the blob is verified and stored; rejects when the download failed. */
  readonly finished: Promise<void>;

  private readonly listeners = new Set<() => void>();
  private markStarted!: () => void;
  private settle!: (run: Promise<void>) => void;
  private running = false;
  private readonly options: BlobDownloadOptions;

  constructor(options: BlobDownloadOptions) {
    this.options = options;
    this.digest = options.digest;
    this.repository = options.repository;
    this.tempPath = options.store.tempPath();
    this.started = new Promise((resolve) => (this.markStarted = resolve));
    this.finished = new Promise((resolve) => (this.settle = resolve));
    // Failures are reported through state and readers; nobody has to await `finished`.
    this.finished.catch(() => {});
  }

  /** Opens the temp file and asks the upstream; once only. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.settle(this.run());
  }

  /** Where the blob lives once verified and stored. */
  get finalPath(): string {
    return this.options.store.pathOf(this.digest);
  }

  /** Asks the upstream for the blob from `fromByte` on, for a reader whose download lost its disk. */
  fetchRemainder(fromByte: number): Promise<Readable> {
    return this.options.upstream.blob(this.repository, this.digest, fromByte).then((reply) => {
      reply.body.on('data', (chunk: Buffer) => this.options.onUpstreamBytes?.(chunk.length));
      return reply.body;
    });
  }

  /** Registers a callback for any progress or end; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** How many bytes a reader may deliver now: all once verified, one short of the end before. */
  get readable(): number {
    if (this.state === 'done') return this.written;
    if (this.size !== null) return Math.min(this.received, this.size - 1);
    return Math.max(0, this.received - 1);
  }

  private notify(): void {
    // Called per upstream chunk, so no copy of the set: a listener may remove itself (a Set's
    // iteration allows that), and one added meanwhile is called too, which only makes it look again.
    for (const listener of this.listeners) listener();
  }

  private async run(): Promise<void> {
    let file: FileHandle | undefined;
    try {
      // The temp file is opened while the upstream is asked, not before: the open goes through
      // libuv's pool and was a serial step in front of a cold blob's first byte.
      const firstReply = this.ask(0);
      firstReply.catch(() => {});
      file = await open(this.tempPath, 'w').catch((error: unknown) => {
        void firstReply.then(({ reply }) => reply.body.destroy(), () => {});
        throw error;
      });
      const hash = createHash('sha256');
      await this.transfer(file, hash, firstReply);
      await file.close();
      file = undefined;
      const actual = `sha256:${hash.digest('hex')}`;
      if (actual !== this.digest || (this.size !== null && this.written !== this.size)) {
        throw badUpstream(`the upstream sent bytes for ${this.digest} that hash to ${actual}; nothing was stored`);
      }
      await this.options.store.commit(this.tempPath, this.digest, this.written);
      this.state = 'done';
      this.recent.clear();
    } catch (error) {
      this.state = 'failed';
      this.localWriteError = diskErrorCode(error);
      // Readers that go on from the upstream re-hash what they sent, part of which only `recent` holds.
      if (!this.localWriteError) this.recent.clear();
      this.error = error instanceof RegistryError ? error : new RegistryError('UNAVAILABLE', `caching ${this.digest} failed: ${(error as Error).message}`);
      await file?.close().catch(() => {});
      await rm(this.tempPath, { force: true });
      throw this.error;
    } finally {
      this.markStarted();
      this.notify();
    }
  }

  /** Asks the upstream for the blob from `fromByte` on; the reply says how long that took. */
  private async ask(fromByte: number): Promise<{ reply: UpstreamReply; ms: number }> {
    const requestedAt = Date.now();
    const reply = await this.options.upstream.blob(this.repository, this.digest, fromByte);
    return { reply, ms: Date.now() - requestedAt };
  }

  private async transfer(file: FileHandle, hash: Hash, firstReply: Promise<{ reply: UpstreamReply; ms: number }>): Promise<void> {
    const resumeDelays = this.options.resumeDelaysMs ?? [200, 1000, 3000];
    for (let attempt = 0; ; attempt++) {
      try {
        const { reply, ms } = await (attempt === 0 ? firstReply : this.ask(this.written));
        this.upstreamMs += ms;
        if (this.state === 'starting') {
          const length = Number(reply.headers['content-length']);
          this.size = Number.isFinite(length) && reply.headers['content-length'] !== undefined ? length : null;
          this.state = 'running';
          this.markStarted();
        }
        await this.copy(reply.body, file, hash);
        if (this.size === null || this.written >= this.size) return;
        throw new Error(`the upstream closed the connection after ${this.written} of ${this.size} bytes`);
      } catch (error) {
        const cannotResume = error instanceof RegistryError && (this.written === 0 || error.code !== 'UNAVAILABLE');
        if (cannotResume || attempt >= resumeDelays.length || diskErrorCode(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, resumeDelays[attempt]));
      }
    }
  }

  /**
   * Hashes and appends one upstream body. The body keeps flowing while earlier bytes are being
   * written; it pauses only when the disk falls the allowed backlog behind. Settles only after every
   * received byte is in the file (so a resume starts at `written`) or the disk refused one.
   */
  private copy(body: Readable, file: FileHandle, hash: Hash): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let paused = false;
      let settled = false;
      const backlog = (): number => diskBacklogBytes(this.options.runningDownloads?.() ?? 1, this.readers);
      const appender = new BlobAppender(
        file,
        this.written,
        (bytes) => {
          this.written += bytes;
          this.recent.trim(this.written);
          if (paused && appender.pending <= backlog() / 2) {
            paused = false;
            body.resume();
          }
        },
        () => body.destroy(),
      );
      const settle = (bodyError?: unknown): void => {
        if (settled) return;
        settled = true;
        body.off('data', onData);
        appender.flushed().then(() => (bodyError === undefined ? resolve() : reject(bodyError)), reject);
      };
      const onData = (chunk: Buffer): void => {
        hash.update(chunk);
        this.options.onUpstreamBytes?.(chunk.length);
        appender.append(chunk);
        this.recent.push(chunk);
        this.received += chunk.length;
        this.notify();
        if (!paused && appender.pending > backlog()) {
          paused = true;
          body.pause();
        }
      };
      body.on('data', onData);
      body.once('end', () => settle());
      body.once('error', (error) => settle(error));
      // A destroy without an error (the disk failed) emits only 'close'.
      body.once('close', () => {
        if (!body.readableEnded) settle(new Error('the upstream body closed early'));
      });
    });
  }
}

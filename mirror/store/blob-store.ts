// Content-addressed blob storage with an in-memory index for size accounting and LRU order.
// Blobs only ever enter the store by rename of a verified temp file, so a reader never sees a
// partial blob, and a temp file of the engine's left in tmp/ after a crash is swept at open().
import { lstat, mkdir, readdir, readFile, rename, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { claimCacheFolder } from './cache-claim.js';
import type { StorePaths } from './paths.js';

interface BlobEntry {
  size: number;
  lastAccess: number;
}

/** Access times are persisted as file mtimes, but at most this often per blob. */
const touchIntervalMs = 60_000;

export class BlobStore {
  private readonly index = new Map<string, BlobEntry>();
  private readonly pins = new Map<string, number>();
  private bytes = 0;

  constructor(
    readonly paths: StorePaths,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Claims the folder (cache-claim.ts refuses one that is not provably Dockmirror's), creates the
   * layout, sweeps the engine's own temp files of interrupted work and indexes what is stored.
   * `sweepTemp: false` is for tools that run beside a live mirror and must not touch its
   * downloads, and for a read-only cache, which is checked but not written.
   */
  async open({ sweepTemp = true }: { sweepTemp?: boolean } = {}): Promise<void> {
    await claimCacheFolder(this.paths, { write: sweepTemp });
    await mkdir(this.paths.tmpDir, { recursive: true });
    if (sweepTemp) {
      await this.sweepTemp();
      // A folder that refuses writes is known from the start (the caller reopens it read-only).
      const probe = this.paths.tempFile('probe');
      await writeFile(probe, '');
      await unlink(probe);
    }
    await mkdir(this.paths.blobsDir, { recursive: true });
    this.index.clear();
    this.bytes = 0;
    for (const prefix of await readdir(this.paths.blobsDir)) {
      const shard = this.paths.blobShard(prefix);
      if (!shard) continue;
      for (const hex of await readdir(shard).catch(() => [] as string[])) {
        if (!/^[a-f0-9]{64}$/.test(hex)) continue;
        const digest = `sha256:${hex}`;
        const info = await stat(this.paths.blob(digest)).catch(() => null);
        if (!info?.isFile()) continue;
        this.remember(digest, info.size, info.mtimeMs);
      }
    }
  }

  /** Only names the engine writes, only regular files, never a folder: tmp/ may hold others' files. */
  private async sweepTemp(): Promise<void> {
    for (const name of await readdir(this.paths.tmpDir).catch(() => [] as string[])) {
      const path = this.paths.ownTempFile(name);
      if (!path) continue;
      if (!(await lstat(path).catch(() => null))?.isFile()) continue;
      await unlink(path).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    }
  }

  get totalBytes(): number {
    return this.bytes;
  }

  get count(): number {
    return this.index.size;
  }

  has(digest: string): boolean {
    return this.index.has(digest);
  }

  size(digest: string): number | undefined {
    return this.index.get(digest)?.size;
  }

  pathOf(digest: string): string {
    return this.paths.blob(digest);
  }

  /** A fresh temp path for a download; the caller writes it and hands it to commit() or removes it. */
  tempPath(): string {
    return this.paths.tempFile('part');
  }

  /** Moves a verified temp file into the store. */
  async commit(tempPath: string, digest: string, size: number): Promise<void> {
    const target = this.paths.blob(digest);
    await mkdir(dirname(target), { recursive: true });
    await rename(tempPath, target);
    if (this.index.has(digest)) this.bytes -= this.index.get(digest)!.size;
    this.remember(digest, size, this.now());
  }

  async read(digest: string): Promise<Buffer> {
    return readFile(this.paths.blob(digest));
  }

  /** Records a use for LRU order; persisted as mtime so the order survives a restart. */
  touch(digest: string): void {
    const entry = this.index.get(digest);
    if (!entry) return;
    const now = this.now();
    if (now - entry.lastAccess < touchIntervalMs) return;
    entry.lastAccess = now;
    const seconds = now / 1000;
    utimes(this.paths.blob(digest), seconds, seconds).catch(() => {});
  }

  /** Protects a blob from eviction and deletion while it is being read. */
  pin(digest: string): () => void {
    this.pins.set(digest, (this.pins.get(digest) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.pins.get(digest) ?? 1) - 1;
      if (left <= 0) this.pins.delete(digest);
      else this.pins.set(digest, left);
    };
  }

  isPinned(digest: string): boolean {
    return this.pins.has(digest);
  }

  /** Deletes a blob unless someone is reading it; returns whether it was deleted. */
  async delete(digest: string): Promise<boolean> {
    if (this.isPinned(digest)) return false;
    const entry = this.index.get(digest);
    this.index.delete(digest);
    if (entry) this.bytes -= entry.size;
    await rm(this.paths.blob(digest), { force: true });
    return true;
  }

  /** Drops a blob from the index whose file disappeared behind the store's back. */
  forget(digest: string): void {
    const entry = this.index.get(digest);
    if (!entry) return;
    this.index.delete(digest);
    this.bytes -= entry.size;
  }

  /** Unpinned blobs, least recently used first. */
  evictionCandidates(): string[] {
    return [...this.index.entries()]
      .filter(([digest]) => !this.pins.has(digest))
      .sort((a, b) => a[1].lastAccess - b[1].lastAccess)
      .map(([digest]) => digest);
  }

  digests(): string[] {
    return [...this.index.keys()];
  }

  private remember(digest: string, size: number, lastAccess: number): void {
    this.index.set(digest, { size, lastAccess });
    this.bytes += size;
  }
}

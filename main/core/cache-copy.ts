// The file work of a cache move: copy the store's own files into the new folder, verify every
// copy by reading it back, and on failure take back exactly the files this copy wrote. The old
// folder is only read here; what may be deleted from it afterwards is `ownFilesToRetire`.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, rmdir, stat, statfs, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { markerFileName, removeOwnFiles, scanStore } from '../../mirror/index.js';
import { pruneEmptyDirs } from '../../mirror/store/own-files.js';
import { CoreError } from './core-error.js';

interface Copied {
  size: number;
  mtimeMs: number;
  /** sha256 of the bytes read from the old folder while they were written to the new one. */
  sha256: string;
  verified: boolean;
}

/** Downloads in progress are not moved: the old engine is stopped before the switch, they are dead. */
const notMoved: ReadonlySet<string> = new Set(['tmp']);

function toPath(root: string, relative: string): string {
  return join(root, ...relative.split('/'));
}

/** A content-addressed blob never changes; a new mtime is only the store's LRU clock. */
function isBlob(relative: string): boolean {
  return relative.startsWith('blobs/');
}

/** The folders between the root and a file, which the copy created: `a/b/c` → `a/b`, `a`. */
function foldersOf(root: string, relative: string): string[] {
  const parts = relative.split('/').slice(0, -1);
  return parts.map((_, i) => join(root, ...parts.slice(0, i + 1)));
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export class CacheCopy {
  private readonly copied = new Map<string, Copied>();
  /** Every file this copy created in the new folder, including one cut short by a full disk. */
  private readonly written = new Set<string>();
  private createdRoot = false;

  constructor(
    readonly from: string,
    readonly to: string,
  ) {}

  /** Bytes the old folder's own files hold and the new folder's free space, when they do not fit. */
  async shortOfSpace(): Promise<{ needed: number; free: number } | null> {
    const scan = await scanStore(this.from, notMoved);
    let needed = 0;
    for (const relative of scan.own) needed += (await stat(toPath(this.from, relative)).catch(() => null))?.size ?? 0;
    let base = this.to;
    while (!(await stat(base).then(() => true, () => false)) && dirname(base) !== base) base = dirname(base);
    const fs = await statfs(base).catch(() => null);
    const free = fs ? Number(fs.bavail) * Number(fs.bsize) : Infinity;
    return needed > free ? { needed, free } : null;
  }

  /**
   * Brings the new folder in line with the old one's own files: new ones copied, changed records
   * copied again, ones that went (evicted, deleted) taken back. Safe to run again and again; the
   * last run happens with the old engine stopped, so nothing changes behind it.
   */
  async sync(): Promise<void> {
    if (!(await lstat(this.to).catch(() => null))) {
      await mkdir(this.to, { recursive: true });
      this.createdRoot = true;
    }
    const scan = await scanStore(this.from, notMoved);
    // The marker goes last (seal), so the new folder is only marked once it is whole.
    const own = scan.own.filter((relative) => relative !== markerFileName);
    const present = new Set(own);
    const gone = [...this.copied.keys()].filter((relative) => !present.has(relative));
    await removeOwnFiles(this.to, gone);
    for (const relative of gone) {
      this.copied.delete(relative);
      this.written.delete(relative);
    }
    for (const relative of own) {
      const info = await stat(toPath(this.from, relative)).catch(() => null);
      if (!info) continue;
      const before = this.copied.get(relative);
      if (before && before.size === info.size && (before.mtimeMs === info.mtimeMs || isBlob(relative))) {
        if (before.mtimeMs !== info.mtimeMs) {
          await utimes(toPath(this.to, relative), info.atime, info.mtime);
          before.mtimeMs = info.mtimeMs;
        }
        continue;
      }
      await this.copyOne(relative, info.atime, info.mtime, info.size, info.mtimeMs);
    }
  }

  /**
   * Reads back every copy made since the last call: its bytes must hash to what was read from the
   * old folder. Called after each sync, so the long read-back runs while the old engine serves.
   */
  async verify(): Promise<void> {
    for (const [relative, copy] of this.copied) {
      if (copy.verified) continue;
      const actual = await hashFile(toPath(this.to, relative)).catch(() => null);
      if (actual !== copy.sha256) {
        throw new CoreError('copy-mismatch', `the copy of ${relative} did not read back as it was written`);
      }
      copy.verified = true;
    }
  }

  /** Marks the new folder as Dockmirror's: the last write, once everything else is in place. */
  async seal(): Promise<void> {
    const marker = toPath(this.from, markerFileName);
    const info = await stat(marker).catch(() => null);
    if (info) await this.copyOne(markerFileName, info.atime, info.mtime, info.size, info.mtimeMs);
  }

  /** Takes back every file this copy wrote, the folders it left empty, and the root if it made it. */
  async discard(): Promise<void> {
    await removeOwnFiles(this.to, this.written);
    // Folders made for a file whose creation then failed (a full disk) hold nothing to remove.
    await pruneEmptyDirs(this.to, [...this.written].flatMap((relative) => foldersOf(this.to, relative)));
    this.copied.clear();
    this.written.clear();
    if (this.createdRoot) await rmdir(this.to).catch(() => {});
  }

  /** The old folder's own files that now live in the new one, plus its marker and dead temps. */
  async ownFilesToRetire(): Promise<string[]> {
    const scan = await scanStore(this.from);
    return scan.own.filter((relative) => this.copied.has(relative) || relative === markerFileName || relative.startsWith('tmp/'));
  }

  get fileCount(): number {
    return this.copied.size;
  }

  private async copyOne(relative: string, atime: Date, mtime: Date, size: number, mtimeMs: number): Promise<void> {
    const target = toPath(this.to, relative);
    await mkdir(dirname(target), { recursive: true });
    const hash = createHash('sha256');
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        done(null, chunk);
      },
    });
    // Only a file this copy made may be overwritten; anything else in the way stops the move.
    const flags = this.written.has(relative) ? 'w' : 'wx';
    this.written.add(relative);
    try {
      // Flushed to the disk before it counts as copied: the old file is deleted once the move is done.
      await pipeline(createReadStream(toPath(this.from, relative)), hashing, createWriteStream(target, { flags, flush: true }));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && flags === 'wx') this.written.delete(relative);
      throw error;
    }
    await utimes(target, atime, mtime);
    this.copied.set(relative, { size, mtimeMs, sha256: hash.digest('hex'), verified: false });
  }
}

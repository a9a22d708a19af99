// The manifests this cache holds: their bytes (stored as blobs, by digest), their media type
// and size (records), and the most used bodies in memory, so a hot tag costs no disk read.
import { rm, writeFile } from 'node:fs/promises';
import type { BlobStore } from '../store/blob-store.js';
import type { RecordStore } from '../store/records.js';
import { ByteLru } from './byte-lru.js';

export interface StoredManifest {
  digest: string;
  mediaType: string;
  size: number;
  /** The exact stored bytes; absent for HEAD. */
  body?: Buffer;
}

export class LocalManifests {
  private readonly bodies = new ByteLru(32 * 1024 * 1024);

  constructor(
    private readonly registry: string,
    private readonly store: BlobStore,
    private readonly records: RecordStore,
  ) {}

  /** A stored manifest: its body for GET; for HEAD what its record says. Null when not stored. */
  async read(digest: string, method: 'GET' | 'HEAD'): Promise<StoredManifest | null> {
    const { store, records } = this;
    if (!store.has(digest)) return null;
    const meta = await records.readManifestMeta(digest);
    if (!meta) return null;
    if (method === 'HEAD') return { digest, mediaType: meta.mediaType, size: meta.size };
    const body = this.bodies.get(digest) ?? (await store.read(digest).catch(() => null));
    if (!body) {
      store.forget(digest);
      return null;
    }
    this.bodies.set(digest, body);
    store.touch(digest);
    return { digest, mediaType: meta.mediaType, size: body.length, body };
  }

  /** Stores a verified manifest and records that `repository` has it. */
  async write(repository: string, digest: string, mediaType: string, body: Buffer): Promise<void> {
    const { store, records } = this;
    if (!store.has(digest)) {
      const temp = store.tempPath();
      await writeFile(temp, body).catch(async (error: unknown) => {
        await rm(temp, { force: true });
        throw error;
      });
      await store.commit(temp, digest, body.length);
    }
    await records.writeManifestMeta(digest, { mediaType, size: body.length });
    await records.addLink(this.registry, repository, digest);
  }

  /** Keeps a body in memory, e.g. one just fetched that a disk failure kept out of the store. */
  remember(digest: string, body: Buffer): void {
    this.bodies.set(digest, body);
  }

  forget(digest?: string): void {
    if (digest) this.bodies.delete(digest);
    else this.bodies.clear();
  }
}

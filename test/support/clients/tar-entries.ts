// Reads a tar file entry by entry from disk (ustar, GNU long names, pax paths) and hashes each
// regular file without holding the archive in memory: `docker save` output can be large.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

export interface TarFileDigest {
  path: string;
  size: number;
  /** `sha256:<hex>` of the entry's content. */
  digest: string;
  /** The content when it is small (≤ 1 MiB), e.g. manifest.json; absent otherwise. */
  content?: Buffer;
}

const BLOCK = 512;
const KEEP_LIMIT = 1024 * 1024;

function field(header: Buffer, offset: number, length: number): string {
  const raw = header.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString('utf8');
}

function parsePaxPath(data: Buffer): string | undefined {
  // Records are "<len> key=value\n".
  for (const record of data.toString('utf8').split('\n')) {
    const match = /^\d+ path=(.*)$/.exec(record);
    if (match !== null) return match[1];
  }
  return undefined;
}

/** Hashes every regular file in the tar at `path`. */
export async function hashTarEntries(path: string): Promise<TarFileDigest[]> {
  const handle = await open(path, 'r');
  try {
    const entries: TarFileDigest[] = [];
    const header = Buffer.alloc(BLOCK);
    const chunk = Buffer.alloc(1024 * 1024);
    let position = 0;
    let longName: string | undefined;
    for (;;) {
      const { bytesRead } = await handle.read(header, 0, BLOCK, position);
      if (bytesRead < BLOCK || header.every((byte) => byte === 0)) break;
      position += BLOCK;
      const size = parseInt(field(header, 124, 12).trim() || '0', 8);
      const type = String.fromCharCode(header[156] ?? 0);
      const prefix = field(header, 345, 155);
      const name = field(header, 0, 100);
      const hash = createHash('sha256');
      const kept: Buffer[] = [];
      let left = size;
      let at = position;
      while (left > 0) {
        const want = Math.min(chunk.length, left);
        const { bytesRead: got } = await handle.read(chunk, 0, want, at);
        if (got === 0) throw new Error(`The tar ${path} ends inside the entry ${name}.`);
        const piece = chunk.subarray(0, got);
        hash.update(piece);
        if (size <= KEEP_LIMIT) kept.push(Buffer.from(piece));
        left -= got;
        at += got;
      }
      position += Math.ceil(size / BLOCK) * BLOCK;
      const content = size <= KEEP_LIMIT ? Buffer.concat(kept) : undefined;
      if (type === 'L') {
        longName = content?.toString('utf8').replace(/\0+$/, '');
        continue;
      }
      if (type === 'x') {
        longName = content !== undefined ? parsePaxPath(content) : undefined;
        continue;
      }
      if (type === 'g') continue;
      const fullName = longName ?? (prefix.length > 0 ? `${prefix}/${name}` : name);
      longName = undefined;
      if (type !== '0' && type !== '\0') continue;
      entries.push({ path: fullName, size, digest: `sha256:${hash.digest('hex')}`, ...(content !== undefined ? { content } : {}) });
    }
    return entries;
  } finally {
    await handle.close();
  }
}

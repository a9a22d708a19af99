// A minimal ustar writer: enough to build real image layers (directories and regular files) in
// pure Node. Fixed owner and mtime keep layers byte-identical across runs, so digests are stable.

export const TAR_BLOCK = 512;

export interface TarEntry {
  /** Path inside the layer, without a leading slash; directories may end with '/'. */
  path: string;
  type: 'file' | 'directory';
  /** File content (files only). */
  content?: Buffer;
  /** Octal permission bits; 0o644 for files and 0o755 for directories by default. */
  mode?: number;
  /** Seconds since the epoch; fixed by default for reproducible digests. */
  mtime?: number;
}

/** 2020-01-01T00:00:00Z: any fixed time works, it only has to stay the same. */
export const FIXED_MTIME = 1577836800;

function writeString(block: Buffer, value: string, offset: number, length: number): void {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > length) throw new Error(`Tar field too long: ${value}`);
  bytes.copy(block, offset);
}

function writeOctal(block: Buffer, value: number, offset: number, length: number): void {
  // length-1 octal digits followed by NUL, as every tar reader expects.
  const digits = value.toString(8);
  if (digits.length > length - 1) throw new Error(`Tar number too large: ${value}`);
  writeString(block, digits.padStart(length - 1, '0'), offset, length - 1);
}

function splitPath(path: string): { name: string; prefix: string } {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  const cut = path.lastIndexOf('/', path.length - 2);
  const prefix = path.slice(0, cut);
  const name = path.slice(cut + 1);
  if (cut <= 0 || Buffer.byteLength(prefix) > 155 || Buffer.byteLength(name) > 100) {
    throw new Error(`Tar path too long for ustar: ${path}`);
  }
  return { name, prefix };
}

/** The 512-byte ustar header of one entry; for files `size` is the content length. */
export function tarHeader(entry: { path: string; type: 'file' | 'directory'; size: number; mode?: number; mtime?: number }): Buffer {
  const block = Buffer.alloc(TAR_BLOCK);
  const path = entry.type === 'directory' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
  const { name, prefix } = splitPath(path.replace(/^\/+/, ''));
  writeString(block, name, 0, 100);
  writeOctal(block, entry.mode ?? (entry.type === 'directory' ? 0o755 : 0o644), 100, 8);
  writeOctal(block, 0, 108, 8); // uid
  writeOctal(block, 0, 116, 8); // gid
  // Sizes up to 8 GiB fit the 11 octal digits of ustar, more than any test layer needs.
  writeOctal(block, entry.type === 'file' ? entry.size : 0, 124, 12);
  writeOctal(block, entry.mtime ?? FIXED_MTIME, 136, 12);
  block.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
  block[156] = entry.type === 'directory' ? 0x35 : 0x30;
  writeString(block, 'ustar\0', 257, 6);
  writeString(block, '00', 263, 2);
  writeString(block, 'root', 265, 32);
  writeString(block, 'root', 297, 32);
  writeString(block, prefix, 345, 155);
  let sum = 0;
  for (const byte of block) sum += byte;
  writeString(block, sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  return block;
}

/** Zero bytes that round a file's content up to a whole block. */
export function tarPadding(size: number): Buffer {
  const rest = size % TAR_BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : TAR_BLOCK - rest);
}

/** The end-of-archive marker: two zero blocks. */
export const TAR_END: Buffer = Buffer.alloc(TAR_BLOCK * 2);

/** Every parent directory of `path` (without the path itself), outermost first. */
export function parentDirectories(path: string): string[] {
  const parts = path.replace(/^\/+/, '').replace(/\/+$/, '').split('/');
  const parents: string[] = [];
  for (let i = 1; i < parts.length; i++) parents.push(parts.slice(0, i).join('/') + '/');
  return parents;
}

/** A complete tar archive of the given entries, in order. */
export function buildTar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const content = entry.type === 'file' ? (entry.content ?? Buffer.alloc(0)) : Buffer.alloc(0);
    parts.push(tarHeader({ path: entry.path, type: entry.type, size: content.length, mode: entry.mode, mtime: entry.mtime }));
    if (entry.type === 'file') parts.push(content, tarPadding(content.length));
  }
  parts.push(TAR_END);
  return Buffer.concat(parts);
}

// Reads a PNG the strict way (signature, every chunk's CRC, IHDR, the inflated scanlines), so a
// test can tell a real image of a given size from a file that merely has the right name.
import { crc32, inflateSync } from 'node:zlib';

export interface Png {
  width: number;
  height: number;
  /** RGBA, unfiltered only when every scanline uses filter 0 (as build/make-icons.mjs writes). */
  pixels: Buffer;
}

const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function readPng(file: Buffer): Png {
  if (!file.subarray(0, 8).equals(signature)) throw new Error('not a PNG signature');
  let offset = 8;
  let header: Buffer | undefined;
  const data: Buffer[] = [];
  let ended = false;
  while (offset < file.length) {
    const length = file.readUInt32BE(offset);
    const type = file.toString('latin1', offset + 4, offset + 8);
    const body = file.subarray(offset + 8, offset + 8 + length);
    if (crc32(file.subarray(offset + 4, offset + 8 + length)) !== file.readUInt32BE(offset + 8 + length)) throw new Error(`bad CRC in ${type}`);
    if (type === 'IHDR') header = body;
    if (type === 'IDAT') data.push(body);
    if (type === 'IEND') ended = true;
    offset += 12 + length;
  }
  if (!header || !ended || data.length === 0) throw new Error('missing IHDR, IDAT or IEND');
  const width = header.readUInt32BE(0);
  const height = header.readUInt32BE(4);
  if (header[8] !== 8 || header[9] !== 6) throw new Error(`expected 8-bit RGBA, got depth ${header[8]} colour type ${header[9]}`);
  const raw = inflateSync(Buffer.concat(data));
  const stride = 1 + width * 4;
  if (raw.length !== height * stride) throw new Error(`scanlines hold ${raw.length} bytes, expected ${height * stride}`);
  const pixels = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    if (raw[y * stride] !== 0) throw new Error(`scanline ${y} uses filter ${raw[y * stride]}`);
    raw.copy(pixels, y * width * 4, y * stride + 1, (y + 1) * stride);
  }
  return { width, height, pixels };
}

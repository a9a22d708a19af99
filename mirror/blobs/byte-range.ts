// Single byte-range requests (RFC 9110 §14) on a blob. Registries serve one range at a time; a
// multi-range or malformed header is refused rather than guessed at.
import { RegistryError } from '../errors.js';

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

/** Returns null when there is no Range header; throws RANGE_INVALID (416) when it cannot be served. */
export function parseRange(header: string | string[] | undefined, size: number): ByteRange | null {
  if (header === undefined) return null;
  if (Array.isArray(header)) throw unsatisfiable(size, 'only one Range header is supported');
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) {
    throw unsatisfiable(size, header.includes(',') ? 'multiple ranges are not supported' : 'malformed Range header');
  }
  const [, first, last] = match;
  if (first === '' && last === '') throw unsatisfiable(size, 'malformed Range header');
  if (first!.length > 15 || last!.length > 15) throw unsatisfiable(size, 'range out of bounds');
  let start: number;
  let end: number;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) throw unsatisfiable(size, 'empty suffix range');
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(first);
    end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
    if (last !== '' && Number(last) < start) throw unsatisfiable(size, 'range end before its start');
  }
  if (start >= size) throw unsatisfiable(size, 'range starts beyond the end of the blob');
  return { start, end };
}

function unsatisfiable(size: number, why: string): RegistryError {
  return new RegistryError('RANGE_INVALID', `requested range not satisfiable: ${why}`, {
    headers: { 'content-range': `bytes */${size}` },
  });
}

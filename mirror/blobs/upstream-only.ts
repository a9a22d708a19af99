// Answers for an uncached blob that no download is fetching, when a whole download would be
// waste: a HEAD asks the upstream with a HEAD, and a small explicit range (`bytes=a-b`, at most
// smallRangeBytes) is fetched from the upstream as that range. Nothing is stored. A range cannot
// be checked against the blob's digest, so it is checked against what was asked: the upstream's
// Content-Range must be the requested range and its body exactly that long.
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { RegistryError } from '../errors.js';
import type { UpstreamClient } from '../upstream/client.js';
import { parseRange, type ByteRange } from './byte-range.js';

/** Larger ranges (and open-ended ones: a resumed layer) download and cache the whole blob. */
export const smallRangeBytes = 1024 * 1024;

export interface UpstreamOnlyBody {
  size: number | null;
  range: ByteRange | null;
  reader?: Readable;
  upstreamMs: number;
  release: () => void;
}

/** The range a Range header asks for when it is explicit and small; undefined otherwise. */
export function smallRange(header: string | string[] | undefined): ByteRange | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^bytes=(\d{1,15})-(\d{1,15})$/.exec(header.trim());
  if (!match) return undefined;
  const start = Number(match[1]);
  const end = Number(match[2]);
  return end >= start && end - start + 1 <= smallRangeBytes ? { start, end } : undefined;
}

/** A HEAD answered from the upstream's HEAD: its size, and the range a client's Range header would get. */
export async function headFromUpstream(upstream: UpstreamClient, repository: string, digest: string, rangeHeader: string | string[] | undefined): Promise<UpstreamOnlyBody> {
  const started = Date.now();
  const size = await upstream.blobSize(repository, digest);
  const range = size === null ? null : parseRange(rangeHeader, size);
  return { size, range, upstreamMs: Date.now() - started, release: () => {} };
}

/**
 * A small range fetched from the upstream as that range. Undefined when the upstream cannot
 * serve it as asked (it ignored the Range, answered another range, or was unavailable): the
 * caller then serves the range from a whole download, as for any other request.
 */
export async function rangeFromUpstream(
  upstream: UpstreamClient,
  repository: string,
  digest: string,
  range: ByteRange,
  onUpstreamBytes?: (bytes: number) => void,
): Promise<UpstreamOnlyBody | undefined> {
  const started = Date.now();
  let reply;
  try {
    reply = await upstream.blob(repository, digest, range.start, range.end);
  } catch (error) {
    if (error instanceof RegistryError && error.code === 'UNAVAILABLE') return undefined;
    throw error;
  }
  const served = parseContentRange(reply.headers['content-range']);
  if (!served || served.start !== range.start || served.end > range.end) {
    reply.body.destroy();
    return undefined;
  }
  const checked = new LengthCheck(served.end - served.start + 1);
  reply.body.on('data', (chunk: Buffer) => onUpstreamBytes?.(chunk.length));
  reply.body.on('error', (error) => checked.destroy(error));
  reply.body.pipe(checked);
  const body = reply.body;
  return { size: served.size, range: { start: served.start, end: served.end }, reader: checked, upstreamMs: Date.now() - started, release: () => body.destroy() };
}

function parseContentRange(value: string | string[] | undefined): (ByteRange & { size: number }) | undefined {
  const match = typeof value === 'string' ? /^bytes (\d{1,15})-(\d{1,15})\/(\d{1,15})$/.exec(value.trim()) : null;
  if (!match) return undefined;
  const [start, end, size] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return start <= end && end < size ? { start, end, size } : undefined;
}

/** Fails the body unless it is exactly `expected` bytes, so a cut range never looks complete. */
class LengthCheck extends Transform {
  private seen = 0;

  constructor(private readonly expected: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.expected) callback(new Error(`the upstream sent more than the ${this.expected} bytes of the range`));
    else callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    callback(this.seen === this.expected ? null : new Error(`the upstream sent ${this.seen} of the ${this.expected} bytes of the range`));
  }
}

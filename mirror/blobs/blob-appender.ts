// Appends a download's bytes to its temp file without holding up the network: chunks queue
// while a write is in flight and go out together in one writev. Writing each chunk and
// waiting for it before reading the next stalled the upstream socket on every disk round trip.
import type { FileHandle } from 'node:fs/promises';

/** Chunks per writev, well under the kernel's IOV_MAX. */
const maxBatch = 256;

export class BlobAppender {
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private writing: Promise<void> | undefined;
  private failure: unknown;

  /** `onWritten` runs after each batch reached the file, with the bytes it held. */
  constructor(
    private readonly file: FileHandle,
    private position: number,
    private readonly onWritten: (bytes: number) => void,
    private readonly onFailure: (error: unknown) => void,
  ) {}

  /** Bytes queued but not yet written. */
  get pending(): number {
    return this.queuedBytes;
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  append(chunk: Buffer): void {
    if (this.failure !== undefined || chunk.length === 0) return;
    this.queue.push(chunk);
    this.queuedBytes += chunk.length;
    this.writing ??= this.drain();
  }

  /** Resolves once everything appended is in the file; rejects with the write error if one failed. */
  async flushed(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.failure !== undefined) throw this.failure;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, maxBatch);
        const bytes = await writeAll(this.file, batch, this.position);
        this.position += bytes;
        this.queuedBytes -= bytes;
        this.onWritten(bytes);
      }
    } catch (error) {
      this.failure = error;
      this.queue = [];
      this.queuedBytes = 0;
      this.onFailure(error);
    } finally {
      this.writing = undefined;
    }
  }
}

/** A nearly full disk can take part of a write without an error: finish it or fail. */
async function writeAll(file: FileHandle, buffers: Buffer[], position: number): Promise<number> {
  let total = 0;
  for (const buffer of buffers) total += buffer.length;
  let done = 0;
  let rest = buffers;
  while (done < total) {
    const { bytesWritten } = await file.writev(rest, position + done);
    if (bytesWritten === 0) throw Object.assign(new Error('the disk took no more bytes'), { code: 'ENOSPC' });
    done += bytesWritten;
    rest = skip(rest, bytesWritten);
  }
  return total;
}

function skip(buffers: Buffer[], bytes: number): Buffer[] {
  let index = 0;
  while (index < buffers.length && bytes >= buffers[index]!.length) bytes -= buffers[index++]!.length;
  const rest = buffers.slice(index);
  if (bytes > 0 && rest.length > 0) rest[0] = rest[0]!.subarray(bytes);
  return rest;
}

// Groups one client's requests for one repository into a pull, summarised once the client has
// gone quiet for a moment — the line people want to read ("10.0.0.21 pulled library/nginx:latest
// — 7 blobs, 68 MB, 5 from cache, 1.2 s") instead of a dozen request lines.
import { randomUUID } from 'node:crypto';
import { formatBytes } from './byte-size.js';
import type { PullEvent, RequestEvent } from './public-types.js';

interface OpenPull {
  client: string;
  repository: string;
  reference: string;
  firstAt: number;
  lastAt: number;
  blobs: Set<string>;
  blobsFromCache: number;
  bytes: number;
  ok: boolean;
  requestIds: string[];
  timer: NodeJS.Timeout;
}

export class PullTracker {
  private readonly open = new Map<string, OpenPull>();

  /** `quietMs`: how long without requests before a pull counts as finished. */
  constructor(
    private readonly emit: (event: PullEvent) => void,
    private readonly quietMs = 800,
  ) {}

  record(event: RequestEvent): void {
    if (!event.repository || (event.kind !== 'manifest' && event.kind !== 'blob')) return;
    const key = `${event.client} ${event.repository}`;
    const at = Date.parse(event.time);
    let pull = this.open.get(key);
    if (!pull) {
      // A pull starts with its manifest; stray blob requests (resumed layers) join no pull.
      if (event.kind !== 'manifest' || !event.reference) return;
      pull = {
        client: event.client,
        repository: event.repository,
        reference: event.reference,
        firstAt: at,
        lastAt: at,
        blobs: new Set(),
        blobsFromCache: 0,
        bytes: 0,
        ok: true,
        requestIds: [],
        timer: setTimeout(() => {}, 0),
      };
      this.open.set(key, pull);
    }
    clearTimeout(pull.timer);
    pull.lastAt = Math.max(pull.lastAt, at + event.durationMs);
    pull.requestIds.push(event.id);
    pull.bytes += event.bytes;
    if (event.status >= 400) pull.ok = false;
    if (event.kind === 'blob' && event.method === 'GET' && event.reference && !pull.blobs.has(event.reference)) {
      pull.blobs.add(event.reference);
      if (event.cache === 'hit') pull.blobsFromCache++;
    }
    pull.timer = setTimeout(() => this.finish(key), this.quietMs);
    pull.timer.unref();
  }

  /** Emits every open pull now (on shutdown). */
  flush(): void {
    for (const key of [...this.open.keys()]) this.finish(key);
  }

  private finish(key: string): void {
    const pull = this.open.get(key);
    if (!pull) return;
    clearTimeout(pull.timer);
    this.open.delete(key);
    const durationMs = Math.max(0, pull.lastAt - pull.firstAt);
    const separator = pull.reference.includes(':') ? '@' : ':';
    const image = `${pull.repository}${separator}${pull.reference}`;
    this.emit({
      type: 'pull',
      id: randomUUID(),
      time: new Date(pull.firstAt).toISOString(),
      client: pull.client,
      repository: pull.repository,
      reference: pull.reference,
      blobs: pull.blobs.size,
      blobsFromCache: pull.blobsFromCache,
      bytes: pull.bytes,
      durationMs,
      ok: pull.ok,
      requestIds: pull.requestIds,
      summary: `${pull.client} ${pull.ok ? 'pulled' : 'failed to pull'} ${image} — ${pull.blobs.size} blob${pull.blobs.size === 1 ? '' : 's'}, ${formatBytes(pull.bytes)}, ${pull.blobsFromCache} from cache, ${(durationMs / 1000).toFixed(1)} s`,
    });
  }
}

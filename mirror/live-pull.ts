// One pull while it runs: what the image's manifest promised (its layers and their sizes), what
// has been sent of it so far (finished blob requests plus the counters of those still sending),
// and how much of it the cache answered. The tracker (pull-tracker.ts) owns the grouping and
// the timers; this owns the arithmetic, so a snapshot costs one pass over the pull's layers.
import { randomUUID } from 'node:crypto';
import type { PullProgressEvent, RequestEvent } from './public-types.js';

/** A blob request still sending: its counter is read on each sample, never per chunk. */
interface Sending {
  digest: string;
  fromCache: boolean;
  counter: { sent: number };
}

/** How much of the last second's rate a new sample replaces: smooth, yet current within a second or two. */
const speedWeight = 0.5;

export class LivePull {
  readonly id = randomUUID();
  readonly firstAt: number;
  lastAt: number;
  ok = true;
  readonly requestIds: string[] = [];
  readonly blobs = new Set<string>();
  blobsFromCache = 0;
  /** Every body byte the pull's requests sent (manifests and config included), for the summary. */
  bytes = 0;
  private readonly layers = new Map<string, number>();
  /** Layer bytes of finished requests, per digest (a resumed layer adds up across requests). */
  private readonly finished = new Map<string, number>();
  private readonly finishedFromCache = new Map<string, number>();
  private readonly done = new Set<string>();
  private readonly sending = new Map<string, Sending>();
  private speed = 0;
  private lastSample: { at: number; bytes: number } | undefined;
  private lastSent = '';

  constructor(
    readonly client: string,
    readonly registry: string | undefined,
    readonly repository: string,
    readonly reference: string,
    at: number,
  ) {
    this.firstAt = at;
    this.lastAt = at;
  }

  get inFlight(): number {
    return this.sending.size;
  }

  get layersTotal(): number {
    return this.layers.size;
  }

  get bytesTotal(): number {
    let total = 0;
    for (const size of this.layers.values()) total += size;
    return total;
  }

  /**
   * Takes an image manifest's layers. An index lists none: its layers come with the platform
   * manifest the client fetches next. Several image manifests in one pull (all platforms) add up.
   */
  manifest(body: Buffer): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return;
    }
    const layers = (parsed as { layers?: unknown }).layers;
    if (!Array.isArray(layers)) return;
    for (const layer of layers as Array<{ digest?: unknown; size?: unknown }>) {
      if (typeof layer?.digest === 'string' && typeof layer.size === 'number' && layer.size >= 0) this.layers.set(layer.digest, layer.size);
    }
  }

  blobStarted(event: RequestEvent, counter: { sent: number }): void {
    if (event.reference) this.sending.set(event.id, { digest: event.reference, fromCache: event.cache === 'hit', counter });
  }

  /** A request of the pull ended (any kind); `event.bytes` is what it sent in all. */
  ended(event: RequestEvent): void {
    this.sending.delete(event.id);
    this.lastAt = Math.max(this.lastAt, Date.parse(event.time) + event.durationMs);
    this.requestIds.push(event.id);
    this.bytes += event.bytes;
    if (event.status >= 400) this.ok = false;
    if (event.kind !== 'blob' || event.method !== 'GET' || !event.reference) return;
    const digest = event.reference;
    if (!this.blobs.has(digest)) {
      this.blobs.add(digest);
      if (event.cache === 'hit') this.blobsFromCache++;
    }
    if (event.status >= 300) return;
    this.finished.set(digest, (this.finished.get(digest) ?? 0) + event.bytes);
    if (event.cache === 'hit') this.finishedFromCache.set(digest, (this.finishedFromCache.get(digest) ?? 0) + event.bytes);
    const size = this.layers.get(digest);
    if (size === undefined) return;
    // A whole-layer answer that stopped short (the upstream or the client left mid-body) failed.
    if (event.status === 200 && event.bytes < size) this.ok = false;
    if ((this.finished.get(digest) ?? 0) >= size) this.done.add(digest);
  }

  /** The pull as it stands; undefined when nothing changed since the last one handed out. */
  snapshot(now: number, force = false): PullProgressEvent | undefined {
    let bytesDone = 0;
    let bytesFromCache = 0;
    const sendingBytes = new Map<string, { all: number; cache: number }>();
    for (const sending of this.sending.values()) {
      const entry = sendingBytes.get(sending.digest) ?? { all: 0, cache: 0 };
      entry.all += sending.counter.sent;
      if (sending.fromCache) entry.cache += sending.counter.sent;
      sendingBytes.set(sending.digest, entry);
    }
    for (const [digest, size] of this.layers) {
      const live = sendingBytes.get(digest);
      const all = Math.min(size, (this.finished.get(digest) ?? 0) + (live?.all ?? 0));
      bytesDone += all;
      bytesFromCache += Math.min(all, (this.finishedFromCache.get(digest) ?? 0) + (live?.cache ?? 0));
    }
    if (this.lastSample && now > this.lastSample.at) {
      const rate = ((bytesDone - this.lastSample.bytes) * 1000) / (now - this.lastSample.at);
      this.speed = this.speed * (1 - speedWeight) + Math.max(0, rate) * speedWeight;
    }
    this.lastSample = { at: now, bytes: bytesDone };
    const key = `${this.done.size} ${bytesDone} ${this.layers.size} ${this.ok}`;
    if (!force && key === this.lastSent) return undefined;
    this.lastSent = key;
    const event: PullProgressEvent = {
      type: 'pull-progress',
      id: this.id,
      time: new Date(this.firstAt).toISOString(),
      client: this.client,
      repository: this.repository,
      reference: this.reference,
      layersDone: this.done.size,
      layersTotal: this.layers.size,
      bytesDone,
      bytesTotal: this.bytesTotal,
      bytesFromCache,
      bytesPerSecond: Math.round(this.speed),
      elapsedMs: Math.max(0, now - this.firstAt),
      failed: !this.ok,
    };
    if (this.registry) event.registry = this.registry;
    return event;
  }
}

// Groups one client's requests for one repository into a pull. The pull is announced from its
// first manifest request (a PullProgressEvent), sampled a few times a second while its blobs are
// sent, and summarised under the same id once the client has gone quiet — the line people want
// to read ("10.0.0.21 pulled library/nginx:latest — 7 blobs, 68 MB, 5 from cache, 1.2 s")
// instead of a dozen request lines. Only open pulls are held; a finished one is forgotten.
import { formatBytes } from './byte-size.js';
import { LivePull } from './live-pull.js';
import type { PullEvent, PullProgressEvent, RequestEvent } from './public-types.js';

export interface PullTrackerTiming {
  /** How long without requests (none still sending) before a pull counts as finished. */
  quietMs: number;
  /** How often running pulls are sampled: at most one progress event per pull per period. */
  sampleMs: number;
}

const defaultTiming: PullTrackerTiming = { quietMs: 800, sampleMs: 250 };

export class PullTracker {
  private readonly open = new Map<string, LivePull>();
  private readonly quietTimers = new Map<LivePull, NodeJS.Timeout>();
  private sampler: NodeJS.Timeout | undefined;
  private readonly timing: PullTrackerTiming;

  constructor(
    private readonly emit: (event: PullEvent | PullProgressEvent) => void,
    timing: Partial<PullTrackerTiming> = {},
  ) {
    this.timing = { ...defaultTiming, ...timing };
  }

  /** Pulls still running: what the tracker holds. */
  get openPulls(): number {
    return this.open.size;
  }

  /**
   * An answer is about to be sent. The first manifest request opens the pull; a manifest's body
   * gives its layers; a blob GET gets the counter its send path adds to, read by the sampler.
   */
  answering(event: RequestEvent, body: Buffer | undefined): { sent: number } | undefined {
    if (!event.repository || (event.kind !== 'manifest' && event.kind !== 'blob')) return undefined;
    const pull = this.open.get(keyOf(event)) ?? this.begin(event);
    if (!pull) return undefined;
    this.stopQuietTimer(pull);
    if (event.kind === 'manifest') {
      if (body && event.status < 300) pull.manifest(body);
      this.send(pull.snapshot(Date.now(), pull.requestIds.length === 0));
      return undefined;
    }
    if (event.method !== 'GET' || event.status >= 300) return undefined;
    const counter = { sent: 0 };
    pull.blobStarted(event, counter);
    return counter;
  }

  /** A request ended. Hosts that never call answering() (tests) still get pulls from here. */
  record(event: RequestEvent): void {
    if (!event.repository || (event.kind !== 'manifest' && event.kind !== 'blob')) return;
    const pull = this.open.get(keyOf(event)) ?? this.begin(event);
    if (!pull) return;
    pull.ended(event);
    if (pull.inFlight > 0) return;
    this.stopQuietTimer(pull);
    const timer = setTimeout(() => this.finish(pull), this.timing.quietMs);
    timer.unref();
    this.quietTimers.set(pull, timer);
  }

  /** Emits every open pull now (on shutdown). */
  flush(): void {
    for (const pull of [...this.open.values()]) this.finish(pull);
  }

  private begin(event: RequestEvent): LivePull | undefined {
    // A pull starts with its manifest; stray blob requests (resumed layers) join no pull.
    if (event.kind !== 'manifest' || !event.reference || !event.repository) return undefined;
    const pull = new LivePull(event.client, event.registry, event.repository, event.reference, Date.parse(event.time));
    this.open.set(keyOf(event), pull);
    this.sampler ??= setInterval(() => this.sample(), this.timing.sampleMs);
    this.sampler.unref();
    return pull;
  }

  private sample(): void {
    const now = Date.now();
    for (const pull of this.open.values()) this.send(pull.snapshot(now));
  }

  private send(event: PullProgressEvent | undefined): void {
    if (event) this.emit(event);
  }

  private stopQuietTimer(pull: LivePull): void {
    clearTimeout(this.quietTimers.get(pull));
    this.quietTimers.delete(pull);
  }

  private finish(pull: LivePull): void {
    const key = `${pull.client} ${pull.registry ?? ''} ${pull.repository}`;
    if (this.open.get(key) !== pull) return;
    this.stopQuietTimer(pull);
    this.open.delete(key);
    if (this.open.size === 0) {
      clearInterval(this.sampler);
      this.sampler = undefined;
    }
    this.emit(summary(pull));
  }
}

function keyOf(event: RequestEvent): string {
  return `${event.client} ${event.registry ?? ''} ${event.repository ?? ''}`;
}

function summary(pull: LivePull): PullEvent {
  const durationMs = Math.max(0, pull.lastAt - pull.firstAt);
  const separator = pull.reference.includes(':') ? '@' : ':';
  const image = `${pull.repository}${separator}${pull.reference}`;
  const blobs = pull.blobs.size;
  const event: PullEvent = {
    type: 'pull',
    id: pull.id,
    time: new Date(pull.firstAt).toISOString(),
    client: pull.client,
    repository: pull.repository,
    reference: pull.reference,
    blobs,
    blobsFromCache: pull.blobsFromCache,
    bytes: pull.bytes,
    durationMs,
    ok: pull.ok,
    requestIds: pull.requestIds,
    summary: `${pull.client} ${pull.ok ? 'pulled' : 'failed to pull'} ${image} — ${blobs} blob${blobs === 1 ? '' : 's'}, ${formatBytes(pull.bytes)}, ${pull.blobsFromCache} from cache, ${(durationMs / 1000).toFixed(1)} s`,
  };
  if (pull.layersTotal > 0) Object.assign(event, { layersTotal: pull.layersTotal, bytesTotal: pull.bytesTotal });
  return event;
}

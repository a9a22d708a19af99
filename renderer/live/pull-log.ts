// The live log's model: raw events in, rows out. A running pull is one row, replaced in place by
// each progress event and then by its summary (same id), so progress never grows the log.
// Requests are folded into the pull that claims them; requests no pull has claimed yet (a pull
// still running, a stray request) show on their own. Pure (no DOM), and bounded: at most
// `limit` events and `maxRunning` running pulls, however long the window stays open.
import type { CacheResult, MirrorEvent, PullEvent, PullProgressEvent, RequestEvent } from '../../main/shared/contract.js';

export interface LogFilter {
  client: string;
  image: string;
  cache: CacheResult | '';
}

export type LogRow =
  | { kind: 'running'; progress: PullProgressEvent }
  | { kind: 'pull'; pull: PullEvent; expanded: boolean }
  | { kind: 'request'; request: RequestEvent; child: boolean }
  | { kind: 'missing'; id: string };

type LoggedEvent = RequestEvent | PullEvent;

export class PullLog {
  private readonly events: LoggedEvent[] = [];
  private readonly requests = new Map<string, RequestEvent>();
  private readonly claimed = new Set<string>();
  private readonly expanded = new Set<string>();
  /** Running pulls by id, in the order they started. */
  private readonly running = new Map<string, PullProgressEvent>();
  /** Ids of finished pulls still in the log: a late progress event must not revive their row. */
  private readonly finished = new Set<string>();

  constructor(
    private readonly limit = 10_000,
    private readonly maxRunning = 100,
  ) {}

  add(event: MirrorEvent): void {
    // Host reports (a LAN host's setup) belong to the Connect hosts view, not the request log.
    if (event.type === 'host-route') return;
    if (event.type === 'pull-progress') return this.progress(event);
    this.events.push(event);
    if (event.type === 'request') this.requests.set(event.id, event);
    else {
      this.running.delete(event.id);
      this.finished.add(event.id);
      for (const id of event.requestIds) this.claimed.add(id);
    }
    if (this.events.length > this.limit) this.trim();
  }

  clear(): void {
    this.events.length = 0;
    this.requests.clear();
    this.claimed.clear();
    this.expanded.clear();
    this.running.clear();
    this.finished.clear();
  }

  /** Events kept (running pulls count once each). */
  get size(): number {
    return this.events.length + this.running.size;
  }

  get runningPulls(): number {
    return this.running.size;
  }

  toggle(pullId: string): void {
    if (this.expanded.has(pullId)) this.expanded.delete(pullId);
    else this.expanded.add(pullId);
  }

  /** One JSON object per line, oldest first, running pulls as they stand last: what "Export" saves. */
  exportJsonLines(): string {
    const all = [...this.events, ...this.running.values()];
    return all.map((event) => JSON.stringify(event)).join('\n') + (all.length ? '\n' : '');
  }

  clients(): string[] {
    return [...new Set([...this.events, ...this.running.values()].map((e) => e.client))].sort();
  }

  /** Running pulls first (newest first), then the rest newest first, pulls followed by their requests when expanded. */
  rows(filter: LogFilter): LogRow[] {
    const rows: LogRow[] = [];
    for (const progress of [...this.running.values()].reverse()) {
      if (this.runningMatches(progress, filter)) rows.push({ kind: 'running', progress });
    }
    for (let i = this.events.length - 1; i >= 0; i--) {
      const event = this.events[i]!;
      if (event.type === 'pull') {
        if (!this.pullMatches(event, filter)) continue;
        const expanded = this.expanded.has(event.id);
        rows.push({ kind: 'pull', pull: event, expanded });
        if (expanded) {
          for (const id of event.requestIds) {
            const request = this.requests.get(id);
            rows.push(request ? { kind: 'request', request, child: true } : { kind: 'missing', id });
          }
        }
      } else if (!this.claimed.has(event.id) && event.kind !== 'base' && this.requestMatches(event, filter)) {
        rows.push({ kind: 'request', request: event, child: false });
      }
    }
    return rows;
  }

  private progress(event: PullProgressEvent): void {
    if (this.finished.has(event.id)) return;
    // Replaced in place: a pull keeps the position it started at.
    if (!this.running.has(event.id) && this.running.size >= this.maxRunning) this.running.delete(this.running.keys().next().value!);
    this.running.set(event.id, event);
  }

  private imageMatches(repository: string | undefined, reference: string | undefined, image: string): boolean {
    if (!image) return true;
    return `${repository ?? ''}:${reference ?? ''}`.toLowerCase().includes(image.toLowerCase());
  }

  private requestMatches(r: RequestEvent, f: LogFilter): boolean {
    return (!f.client || r.client === f.client) && (!f.cache || r.cache === f.cache) && this.imageMatches(r.repository, r.reference, f.image);
  }

  private runningMatches(p: PullProgressEvent, f: LogFilter): boolean {
    // Which cache results a running pull's requests had is known only once they are done.
    return (!f.client || p.client === f.client) && !f.cache && this.imageMatches(p.repository, p.reference, f.image);
  }

  private pullMatches(p: PullEvent, f: LogFilter): boolean {
    if (f.client && p.client !== f.client) return false;
    if (!this.imageMatches(p.repository, p.reference, f.image)) return false;
    if (!f.cache) return true;
    return p.requestIds.some((id) => this.requests.get(id)?.cache === f.cache);
  }

  private trim(): void {
    const drop = this.events.splice(0, this.events.length - this.limit);
    for (const event of drop) {
      if (event.type === 'request') this.requests.delete(event.id);
      else {
        this.expanded.delete(event.id);
        this.finished.delete(event.id);
        for (const id of event.requestIds) this.claimed.delete(id);
      }
    }
  }
}

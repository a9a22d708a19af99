// The live log's model: raw events in, rows out. Requests are folded into the pull that claims
// them; requests no pull has claimed yet (a pull still running, a stray request) show on their
// own. Pure (no DOM), so it stays fast with thousands of events.
import type { CacheResult, MirrorEvent, PullEvent, RequestEvent } from '../../main/shared/contract.js';

export interface LogFilter {
  client: string;
  image: string;
  cache: CacheResult | '';
}

export type LogRow =
  | { kind: 'pull'; pull: PullEvent; expanded: boolean }
  | { kind: 'request'; request: RequestEvent; child: boolean }
  | { kind: 'missing'; id: string };

export class PullLog {
  private readonly events: MirrorEvent[] = [];
  private readonly requests = new Map<string, RequestEvent>();
  private readonly claimed = new Set<string>();
  private readonly expanded = new Set<string>();

  constructor(private readonly limit = 50_000) {}

  add(event: MirrorEvent): void {
    this.events.push(event);
    if (event.type === 'request') this.requests.set(event.id, event);
    else for (const id of event.requestIds) this.claimed.add(id);
    if (this.events.length > this.limit) this.trim();
  }

  clear(): void {
    this.events.length = 0;
    this.requests.clear();
    this.claimed.clear();
    this.expanded.clear();
  }

  get size(): number {
    return this.events.length;
  }

  toggle(pullId: string): void {
    if (this.expanded.has(pullId)) this.expanded.delete(pullId);
    else this.expanded.add(pullId);
  }

  /** One JSON object per line, oldest first: what "Export" saves. */
  exportJsonLines(): string {
    return this.events.map((event) => JSON.stringify(event)).join('\n') + (this.events.length ? '\n' : '');
  }

  clients(): string[] {
    return [...new Set(this.events.map((e) => e.client))].sort();
  }

  /** Rows newest first, pulls followed by their requests when expanded. */
  rows(filter: LogFilter): LogRow[] {
    const rows: LogRow[] = [];
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

  private imageMatches(repository: string | undefined, reference: string | undefined, image: string): boolean {
    if (!image) return true;
    return `${repository ?? ''}:${reference ?? ''}`.toLowerCase().includes(image.toLowerCase());
  }

  private requestMatches(r: RequestEvent, f: LogFilter): boolean {
    return (!f.client || r.client === f.client) && (!f.cache || r.cache === f.cache) && this.imageMatches(r.repository, r.reference, f.image);
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
        for (const id of event.requestIds) this.claimed.delete(id);
      }
    }
  }
}

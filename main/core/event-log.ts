// What a newly opened window needs to show history: the last events in a ring buffer, the pulls
// still running (one entry each, replaced in place as their progress comes, so a busy day of
// progress never pushes the history out), the hosts that pulled through the mirror (the proof
// that a host is set up), and the connected hosts the app keeps across restarts
// (connected-hosts.ts), when the host gives it a list to keep.
import type { MirrorEvent, PullProgressEvent, RecentClient } from '../shared/contract.js';
import { ConnectedHosts } from './connected-hosts.js';

/** Running pulls kept for a new window; beyond it the longest-quiet one goes (its summary still comes). */
const maxRunningPulls = 200;

export class EventLog {
  private readonly buffer: MirrorEvent[] = [];
  private next = 0;
  private readonly clients = new Map<string, RecentClient>();
  private readonly running = new Map<string, PullProgressEvent>();

  readonly hosts: ConnectedHosts | undefined;

  /** `keepHosts`: the data folder to keep the connected hosts in, and where a failed save is reported. */
  constructor(
    private readonly capacity = 2000,
    keepHosts?: { dataDir: string; onSaveError: (error: unknown) => void },
  ) {
    this.hosts = keepHosts && new ConnectedHosts(keepHosts.dataDir, keepHosts.onSaveError);
  }

  /** Names a pull's client by the hostname its host reported, when the connected hosts know it. */
  withHostname(event: MirrorEvent): MirrorEvent {
    if (event.type !== 'pull' && event.type !== 'pull-progress') return event;
    const hostname = this.hosts?.hostnameOf(event.client);
    return hostname ? { ...event, hostname } : event;
  }

  add(event: MirrorEvent): void {
    if (event.type === 'pull-progress') {
      this.running.delete(event.id);
      this.running.set(event.id, event);
      if (this.running.size > maxRunningPulls) this.running.delete(this.running.keys().next().value!);
      return;
    }
    if (event.type === 'pull') this.running.delete(event.id);
    if (this.buffer.length < this.capacity) this.buffer.push(event);
    else this.buffer[this.next] = event;
    this.next = (this.next + 1) % this.capacity;
    this.noteClient(event);
    this.hosts?.take(event);
  }

  /** Oldest first, then the pulls still running. */
  recent(): MirrorEvent[] {
    const history = this.buffer.length < this.capacity ? [...this.buffer] : [...this.buffer.slice(this.next), ...this.buffer.slice(0, this.next)];
    return [...history, ...this.running.values()];
  }

  /** Pulls still running, as their latest progress. */
  get runningPulls(): number {
    return this.running.size;
  }

  /** Most recently seen first. */
  recentClients(): RecentClient[] {
    return [...this.clients.values()].sort((a, b) => b.lastSeen.localeCompare(a.lastSeen));
  }

  private noteClient(event: MirrorEvent): void {
    // Only pulls count: a stray /v2/ probe does not prove a host is configured.
    if (event.type !== 'pull') return;
    const known = this.clients.get(event.client);
    this.clients.set(event.client, { address: event.client, lastSeen: event.time, pulls: (known?.pulls ?? 0) + 1 });
  }
}

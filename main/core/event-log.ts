// What a newly opened window needs to show history: the last events in a ring buffer, and the
// hosts that pulled through the mirror (the proof that a host is set up).
import type { MirrorEvent, RecentClient } from '../shared/contract.js';

export class EventLog {
  private readonly buffer: MirrorEvent[] = [];
  private next = 0;
  private readonly clients = new Map<string, RecentClient>();

  constructor(private readonly capacity = 2000) {}

  add(event: MirrorEvent): void {
    if (this.buffer.length < this.capacity) this.buffer.push(event);
    else this.buffer[this.next] = event;
    this.next = (this.next + 1) % this.capacity;
    this.noteClient(event);
  }

  /** Oldest first. */
  recent(): MirrorEvent[] {
    if (this.buffer.length < this.capacity) return [...this.buffer];
    return [...this.buffer.slice(this.next), ...this.buffer.slice(0, this.next)];
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

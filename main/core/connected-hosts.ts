// The LAN hosts that set up or pulled through the mirror, for the Connect hosts view and the tray:
// built from the engine's events (setup reports, pulls, refusals) and kept in the data folder so
// the list survives a restart. Bounded: the hosts seen longest ago go first.
import { join } from 'node:path';
import type { MirrorEvent } from '../../mirror/public-types.js';
import type { ConnectedHost } from '../shared/contract.js';
import { hostReportFromEvent } from '../shared/setup/host-report.js';
import { DebouncedJsonFile } from './json-file.js';


export const connectedHostsFile = 'connected-hosts.json';
export const maxConnectedHosts = 200;

function text(value: unknown, max = 200): string {
  return typeof value === 'string' ? value.slice(0, max) : '';
}

function time(value: unknown): string | null {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? value : null;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}

/** One stored entry read back strictly; anything unreadable is dropped, never trusted. */
function readHost(value: unknown): ConnectedHost | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const address = text(v['address'], 64);
  const lastSeenAt = time(v['lastSeenAt']);
  if (!address || !lastSeenAt) return null;
  return {
    address,
    hostname: text(v['hostname']),
    runtime: text(v['runtime'], 20),
    version: text(v['version']),
    setUpAt: time(v['setUpAt']),
    lastPullAt: time(v['lastPullAt']),
    pulls: count(v['pulls']),
    bytesServed: count(v['bytesServed']),
    refused: v['refused'] === true,
    fix: v['refused'] === true ? refusalFix(address) : null,
    lastSeenAt,
  };
}

export function refusalFix(address: string): string {
  return `Add ${address}${address.includes(':') ? '/128' : '/32'} (or its network) to the allowlist in Settings.`;
}

/** Pulls come in bursts; the file is rewritten at most this often. */
const saveDelayMs = 2_000;

export class ConnectedHosts {
  private readonly hosts = new Map<string, ConnectedHost>();
  private readonly file: DebouncedJsonFile;

  constructor(dataDir: string, onSaveError: (error: unknown) => void = () => {}) {
    this.file = new DebouncedJsonFile(join(dataDir, connectedHostsFile), () => ({ hosts: this.list() }), onSaveError, { delayMs: saveDelayMs, indent: 2 });
  }

  /** record() plus a save soon after, for the app; true when the list changed. */
  take(event: MirrorEvent): boolean {
    const changed = this.record(event);
    if (changed) this.file.changed();
    return changed;
  }

  /** Writes what a pending save would, now (at quit). */
  flush(): Promise<void> {
    return this.file.flush();
  }

  /** Reads the stored list; a missing or damaged file starts an empty one (it is rewritten on the next change). */
  async load(): Promise<void> {
    const stored = await this.file.read();
    const list = Array.isArray((stored as { hosts?: unknown })?.hosts) ? (stored as { hosts: unknown[] }).hosts : [];
    for (const entry of list.slice(0, maxConnectedHosts)) {
      const host = readHost(entry);
      if (host) this.hosts.set(host.address, host);
    }
  }

  /** The hostname the host at this address reported, if any: for naming a pull's client. */
  hostnameOf(address: string): string | undefined {
    return this.hosts.get(address)?.hostname || undefined;
  }

  list(): ConnectedHost[] {
    return [...this.hosts.values()].map((host) => ({ ...host })).sort((a, b) => b.lastSeenAt.localeCompare(a.lastSeenAt));
  }

  /** Takes one engine event; true when the list changed (and should be saved and shown). */
  record(event: MirrorEvent): boolean {
    if (event.type === 'host-route') {
      const report = hostReportFromEvent(event);
      if (!report) return false;
      const host = this.entry(event.client, event.time);
      Object.assign(host, { hostname: report.hostname, runtime: report.runtime, version: report.version, setUpAt: event.time, refused: !report.allowed });
      host.fix = host.refused ? refusalFix(host.address) : null;
      return true;
    }
    if (event.type === 'pull') {
      const host = this.entry(event.client, event.time);
      Object.assign(host, { lastPullAt: event.time, pulls: host.pulls + 1, bytesServed: host.bytesServed + event.bytes, refused: false, fix: null });
      return true;
    }
    if (event.type !== 'request') return false;
    if (event.errorCode === 'DENIED' && event.status === 403 && event.kind === 'other') {
      // The allowlist refuses before any route is read, so its refusals carry no kind; a private
      // repository's DENIED names its manifest or blob and is no allowlist matter.
      const host = this.entry(event.client, event.time);
      const changed = !host.refused;
      host.refused = true;
      host.fix = refusalFix(host.address);
      return changed;
    }
    return false;
  }

  /** Writes the list through a temp file and a rename, so a crash leaves the old file or the new one. */
  save(): Promise<void> {
    return this.file.save();
  }


  private entry(address: string, at: string): ConnectedHost {
    let host = this.hosts.get(address);
    if (!host) {
      host = { address, hostname: '', runtime: '', version: '', setUpAt: null, lastPullAt: null, pulls: 0, bytesServed: 0, refused: false, fix: null, lastSeenAt: at };
      this.hosts.set(address, host);
      if (this.hosts.size > maxConnectedHosts) this.hosts.delete(this.list().at(-1)!.address);
    }
    host.lastSeenAt = at;
    return host;
  }
}

// What one client, or many stuck ones, may hold of the mirror: sockets are file descriptors, and
// a process that runs out of them can accept nobody (1,500 clients that asked for a blob and
// never read made the mirror unreachable). Three limits: connections per client address, all
// connections (below the process's fd limit, leaving room for the store's files and upstream
// sockets), and a send timeout that destroys a response whose socket has stopped draining.
// A full server never turns a newcomer away while another address holds more than its share:
// refusing at the cap let 1,024 stuck connections lock every other host out until they timed out.
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { displayAddress } from './client-filter.js';

export const defaultConnectionsPerClient = 64;
export const defaultSendTimeoutMs = 30_000;
/** File descriptors kept free of client sockets: blob files, temp files, upstream sockets, logs. */
const reservedFds = 128;
/**
 * At most this many client connections whatever the fd limit: each open answer costs the engine
 * 30-50 KiB (socket, parser, request, response, its blob file's handle and send buffer, and the
 * garbage V8 keeps between collections). 1,024 stuck clients under a raised fd limit peaked at
 * 96.6 MiB of RSS, a hair under the 100 MiB goal; 512 peaked at 85 MiB. A LAN mirror rarely
 * needs more: 512 is over a hundred hosts each pulling four layers at once, and past the cap a
 * newcomer still gets in at the expense of the address holding the most (makeRoomFor). Also the
 * cap where the fd limit cannot be read (not Linux).
 */
const memoryConnectionCap = 512;
/** A connection over its client's cap that sends no request is closed after this long. */
const excessIdleMs = 2_000;
/** With the server nearly full, a socket that stalled this long is cut (or its send timeout if shorter). */
const crowdedStallMs = 2_000;
/** A connection without a request for this long may make room for a newcomer on a full server. */
const idleEvictableMs = 1_000;
/**
 * Connections Node may accept past the cap: a connection destroyed to make room is counted gone at
 * once, while its close event (and Node's own count) follows a moment later.
 */
const admissionSlack = 16;

export interface ConnectionLimitSettings {
  perClient: number;
  total: number;
  sendTimeoutMs: number;
}

interface Watch {
  address: string;
  written: number;
  queued: number;
  since: number;
  /** Requests being answered on it; 0 is an idle keep-alive connection, or one not asked on yet. */
  answering: number;
  idleSince: number;
}

/** The soft limit on open files from /proc/self/limits, or undefined where there is none to read. */
export async function openFileLimit(limitsFile = '/proc/self/limits'): Promise<number | undefined> {
  const text = await readFile(limitsFile, 'utf8').catch(() => '');
  const match = /^Max open files\s+(\d+|unlimited)\s/m.exec(text);
  if (!match || match[1] === 'unlimited') return undefined;
  return Number(match[1]);
}

/**
 * How many client connections a process with this fd limit can hold and still open its files:
 * each may hold two (its socket, and the blob file or upstream socket its answer reads from);
 * never more than memory allows.
 */
export function connectionCap(fdLimit: number | undefined): number {
  if (fdLimit === undefined) return memoryConnectionCap;
  return Math.min(memoryConnectionCap, Math.max(8, Math.floor((fdLimit - Math.min(reservedFds, Math.floor(fdLimit / 2))) / 2)));
}

/** The settings from the engine's options, the total cap read from this process's fd limit. */
export async function connectionLimitSettings(options: { perClient?: number; total?: number; sendTimeoutMs?: number }): Promise<ConnectionLimitSettings> {
  return {
    perClient: options.perClient ?? defaultConnectionsPerClient,
    total: options.total ?? connectionCap(await openFileLimit()),
    sendTimeoutMs: options.sendTimeoutMs ?? defaultSendTimeoutMs,
  };
}

export class ConnectionLimits {
  private readonly sockets = new Map<Socket, Watch>();
  private readonly perAddress = new Map<string, number>();
  private readonly excess = new WeakSet<Socket>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly settings: ConnectionLimitSettings) {}

  /** Counts the server's connections from now on; stops when the server closes. */
  attach(server: Server): void {
    // Node closes a connection over this cap as soon as it is accepted, before any fd is spent on a parser.
    server.maxConnections = this.settings.total + admissionSlack;
    server.prependListener('connection', (socket: Socket) => this.admit(socket));
    server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => this.answering(request.socket, response));
    const every = Math.max(100, Math.min(1_000, Math.floor(this.settings.sendTimeoutMs / 4)));
    this.sweeper = setInterval(() => this.sweep(server), every);
    this.sweeper.unref();
    server.once('close', () => clearInterval(this.sweeper));
  }

  /** True for a connection beyond its client's cap: its request is answered 429 and it is closed. */
  isExcess(socket: Socket): boolean {
    return this.excess.has(socket);
  }

  get perClient(): number {
    return this.settings.perClient;
  }

  get openConnections(): number {
    return this.sockets.size;
  }

  private admit(socket: Socket): void {
    const address = displayAddress(socket.remoteAddress);
    if (this.sockets.size >= this.settings.total && !this.makeRoomFor(address)) {
      socket.destroy();
      return;
    }
    const count = (this.perAddress.get(address) ?? 0) + 1;
    this.perAddress.set(address, count);
    const now = Date.now();
    this.sockets.set(socket, { address, written: 0, queued: 0, since: now, answering: 0, idleSince: now });
    if (count > this.settings.perClient) {
      this.excess.add(socket);
      socket.setTimeout(excessIdleMs, () => socket.destroy());
    }
    socket.once('close', () => this.release(socket));
  }

  private answering(socket: Socket, response: ServerResponse): void {
    const watch = this.sockets.get(socket);
    if (!watch) return;
    watch.answering++;
    response.once('close', () => {
      watch.answering--;
      watch.idleSince = Date.now();
    });
  }

  /**
   * Takes one connection away for a newcomer from `address`: an idle one first (it costs its owner a
   * reconnect, nothing more), else the least-moving answer of the address holding the most
   * connections, provided it holds at least two more than the newcomer's address does. So a crowd
   * from a few addresses shrinks as others arrive, while balanced load is simply full.
   */
  private makeRoomFor(address: string): boolean {
    const victim = this.idleVictim() ?? this.heaviestAddressVictim(address);
    if (!victim) return false;
    victim.destroy();
    this.release(victim);
    return true;
  }

  private idleVictim(): Socket | undefined {
    const before = Date.now() - idleEvictableMs;
    let victim: Socket | undefined;
    let oldest = Infinity;
    for (const [socket, watch] of this.sockets) {
      if (watch.answering === 0 && watch.idleSince <= before && watch.idleSince < oldest) {
        victim = socket;
        oldest = watch.idleSince;
      }
    }
    return victim;
  }

  private heaviestAddressVictim(newcomer: string): Socket | undefined {
    let heaviest: string | undefined;
    let most = 0;
    for (const [address, count] of this.perAddress) {
      if (count > most) {
        heaviest = address;
        most = count;
      }
    }
    if (heaviest === undefined || most < (this.perAddress.get(newcomer) ?? 0) + 2) return undefined;
    let victim: Socket | undefined;
    let stillest = Infinity;
    for (const [socket, watch] of this.sockets) {
      if (watch.address === heaviest && watch.since < stillest) {
        victim = socket;
        stillest = watch.since;
      }
    }
    return victim;
  }

  private release(socket: Socket): void {
    const watch = this.sockets.get(socket);
    if (!watch) return;
    this.sockets.delete(socket);
    const left = (this.perAddress.get(watch.address) ?? 1) - 1;
    if (left > 0) this.perAddress.set(watch.address, left);
    else this.perAddress.delete(watch.address);
  }

  /**
   * Destroys sockets whose queued bytes have not moved for the send timeout: a client that stopped
   * reading holds an fd and the send buffer it pinned until then. A socket with nothing queued (idle,
   * or waiting for the upstream) is never stalled. With the server nearly full, stalls are cut
   * sooner and idle keep-alive connections are closed, so stuck clients never lock others out.
   */
  private sweep(server: Server): void {
    const now = Date.now();
    const crowded = this.sockets.size >= this.settings.total * 0.75;
    const limit = crowded ? Math.min(this.settings.sendTimeoutMs, crowdedStallMs) : this.settings.sendTimeoutMs;
    if (crowded) server.closeIdleConnections();
    for (const [socket, watch] of this.sockets) {
      const queued = socket.writableLength;
      const written = socket.bytesWritten;
      if (queued === 0 || written !== watch.written || queued !== watch.queued) {
        watch.written = written;
        watch.queued = queued;
        watch.since = now;
      } else if (now - watch.since >= limit) {
        socket.destroy();
      }
    }
  }
}

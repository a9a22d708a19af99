// What one client, or many stuck ones, may hold of the mirror: sockets are file descriptors, and
// a process that runs out of them can accept nobody (1,500 clients that asked for a blob and
// never read made the mirror unreachable). Three limits: connections per client address, all
// connections (below the process's fd limit, leaving room for the store's files and upstream
// sockets), and a send timeout that destroys a response whose socket has stopped draining.
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { displayAddress } from './client-filter.js';

export const defaultConnectionsPerClient = 64;
export const defaultSendTimeoutMs = 30_000;
/** File descriptors kept free of client sockets: blob files, temp files, upstream sockets, logs. */
const reservedFds = 128;
/**
 * At most this many client connections whatever the fd limit: each open answer costs the engine
 * ~15 KiB (socket, parser, request, response, its blob file's handle and send buffer), and 1,500
 * stuck clients under a raised fd limit took its RSS past 100 MiB. Also the cap where the fd
 * limit cannot be read (not Linux).
 */
const memoryConnectionCap = 1024;
/** A connection over its client's cap that sends no request is closed after this long. */
const excessIdleMs = 2_000;
/** With the server nearly full, a socket that stalled this long is cut (or its send timeout if shorter). */
const crowdedStallMs = 2_000;

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
    server.maxConnections = this.settings.total;
    server.prependListener('connection', (socket: Socket) => this.admit(socket));
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
    const count = (this.perAddress.get(address) ?? 0) + 1;
    this.perAddress.set(address, count);
    this.sockets.set(socket, { address, written: 0, queued: 0, since: Date.now() });
    if (count > this.settings.perClient) {
      this.excess.add(socket);
      socket.setTimeout(excessIdleMs, () => socket.destroy());
    }
    socket.once('close', () => this.release(socket));
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

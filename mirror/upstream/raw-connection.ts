// The connections of the raw blob reader (raw-get.ts), and the pool that keeps them between
// requests. A cold blob through Docker Hub is two requests, the registry's 307 and the CDN's
// body, so a connection per request put a TCP handshake (and a TLS one on https) in front of
// every blob's first byte twice, where node:http's agents reused theirs.
//
// A connection reads into slabs of its own (`onread`) and hands the bytes to whichever exchange
// uses it now. An idle one has no answer coming: anything it hears, an end, or a quiet spell of
// `idleKeepMs` closes it.
//
// Reads that land next to each other in a slab are handed over as one chunk: when the slab is
// full, or once the event loop has done its pending reads. Over TLS every 16 KiB record arrives
// as a read of its own, and every chunk costs the download a hash call, a file append, a
// notification and a client write: the https cold pull took 4.4-5.1 ms of engine CPU per MiB
// against 2.9-3.3 over http, and 3.8-4.5 with the reads merged (test/bench/RESULTS.md).
import net, { type Socket } from 'node:net';
import tls from 'node:tls';
import { guardedLookup } from './http-shared.js';

/**
 * Reads land in slabs this large; a slab whose free tail is below `minReadBytes` is retired.
 * Larger slabs cost less CPU (1 MiB: 2.30-2.46 ms per MiB on the cold pull, against 2.73-2.81
 * with 64 KiB) but broke the 4 GiB layer's memory goal: its peak RSS went from 79 MiB to 136
 * (1 MiB), 129 (256 KiB), 111 (128 KiB) and 90 (96 KiB). The likely cause, not proven: 128 KiB
 * is glibc's first mmap threshold, which it raises as such blocks are freed, after which they
 * come from heaps it does not give back. Throughput did not differ beyond the runs' spread.
 */
const slabBytes = 64 * 1024;
const minReadBytes = 16 * 1024;
/** As node:http's agents here: idle connections go before most servers would cut them under us. */
const idleKeepMs = 30_000;
const maxIdlePerOrigin = 4;
const maxIdleOrigins = 32;

/** The exchange a connection's reads and events go to while it carries a request. */
export interface ConnectionUser {
  /** Returns false to stop reading until the socket is resumed. */
  onBytes(data: Buffer): boolean;
  onEnd(): void;
  onError(error: Error): void;
  onTimeout(): void;
  onClose(): void;
}

export class RawConnection {
  user: ConnectionUser | null = null;
  private slab = Buffer.allocUnsafe(0);
  private slabUsed = 0;
  /** Where in the slab the bytes not yet handed over begin; -1 when there are none. */
  private heldFrom = -1;
  private handOverSoon: NodeJS.Immediate | undefined;
  /** Set while the connection waits in a pool, to leave it when it closes. */
  private onRetire: (() => void) | null = null;

  /** Set by `dial`, which needs the connection first: the socket asks it for a buffer as it connects. */
  socket!: Socket;

  private constructor(
    readonly origin: string,
    /** TLS: the exchange sends its request once the handshake is done, not at the TCP connect. */
    readonly secure: boolean,
  ) {}

  /** Connects to the URL's origin: plain TCP, or TLS checked as https.request checks it. */
  static dial(url: URL, refuseAddress?: (address: string) => string | null): RawConnection {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const secure = url.protocol === 'https:';
    const connection = new RawConnection(url.origin, secure);
    const options = {
      host,
      port: Number(url.port || (secure ? 443 : 80)),
      ...(refuseAddress ? { lookup: guardedLookup(refuseAddress) } : {}),
      onread: { buffer: () => connection.nextReadBuffer(), callback: (bytes: number, buffer: Uint8Array) => connection.onRead(bytes, buffer) },
    };
    // Node's CAs plus NODE_EXTRA_CA_CERTS, and the name (or IP) against the certificate.
    connection.socket = secure
      ? tls.connect({ ...options, ...(net.isIP(host) ? {} : { servername: host }) } as tls.ConnectionOptions)
      : net.connect(options as net.NetConnectOpts);
    connection.listen();
    return connection;
  }

  enterPool(onRetire: () => void): void {
    this.user = null;
    this.onRetire = onRetire;
    this.socket.setTimeout(idleKeepMs);
    this.socket.unref();
  }

  leavePool(): void {
    this.onRetire = null;
    this.socket.ref();
  }

  private listen(): void {
    const socket = this.socket;
    socket.on('error', (error) => (this.user ? this.user.onError(error) : socket.destroy()));
    socket.on('end', () => {
      // TLS can bring the last records and the server's close in one read, and 'end' comes
      // before the deferred hand-over would: those bytes are the body's end.
      this.handOver();
      if (this.user) this.user.onEnd();
      else socket.destroy();
    });
    socket.on('timeout', () => (this.user ? this.user.onTimeout() : socket.destroy()));
    socket.on('close', () => {
      // Held bytes of a connection that broke are not handed over late: the answer has failed.
      clearImmediate(this.handOverSoon);
      this.onRetire?.();
      this.user?.onClose();
    });
  }

  private nextReadBuffer(): Buffer {
    if (this.slab.length - this.slabUsed < minReadBytes) {
      this.slab = Buffer.allocUnsafe(slabBytes);
      this.slabUsed = 0;
    }
    return this.slab.subarray(this.slabUsed);
  }

  private onRead(bytes: number, buffer: Uint8Array): boolean {
    if (!this.user) {
      this.socket.destroy();
      return false;
    }
    // Every read lands in the current slab: Node asks for the next buffer right after each read.
    // The bytes read stay the reader's: the next read goes past them.
    const at = buffer.byteOffset - this.slab.byteOffset;
    if (this.heldFrom < 0) this.heldFrom = at;
    this.slabUsed = at + bytes;
    if (this.slab.length - this.slabUsed < minReadBytes) return this.handOver();
    this.handOverSoon ??= setImmediate(() => {
      this.handOverSoon = undefined;
      if (!this.handOver()) this.socket.pause();
    });
    return true;
  }

  /** Gives the exchange the bytes read but not yet handed over; returns whether it wants more. */
  private handOver(): boolean {
    if (this.heldFrom < 0 || !this.user) return true;
    const data = this.slab.subarray(this.heldFrom, this.slabUsed);
    this.heldFrom = -1;
    return this.user.onBytes(data);
  }
}

/** Idle raw connections by origin, bounded, the most recently used taken first. */
export class RawPool {
  private readonly idle = new Map<string, RawConnection[]>();

  take(origin: string): RawConnection | undefined {
    const waiting = this.idle.get(origin);
    const connection = waiting?.pop();
    if (waiting?.length === 0) this.idle.delete(origin);
    connection?.leavePool();
    return connection;
  }

  give(connection: RawConnection): void {
    const waiting = this.idle.get(connection.origin) ?? [];
    const full = waiting.length >= maxIdlePerOrigin || (waiting.length === 0 && this.idle.size >= maxIdleOrigins);
    if (connection.socket.destroyed || full) {
      connection.user = null;
      connection.socket.destroy();
      return;
    }
    waiting.push(connection);
    this.idle.set(connection.origin, waiting);
    connection.enterPool(() => this.forget(connection));
  }

  /** Closes every idle connection. */
  close(): void {
    const all = [...this.idle.values()].flat();
    this.idle.clear();
    for (const connection of all) connection.socket.destroy();
  }

  private forget(connection: RawConnection): void {
    const waiting = this.idle.get(connection.origin);
    const at = waiting?.indexOf(connection) ?? -1;
    if (at < 0) return;
    waiting!.splice(at, 1);
    if (waiting!.length === 0) this.idle.delete(connection.origin);
  }
}

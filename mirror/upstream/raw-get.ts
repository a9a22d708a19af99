// A GET on plain http whose body is read straight off the socket, for blob bodies. node:http
// copies every body chunk out of its socket read (its parser hands out a copy, not a view), and
// reads in 64 KiB pieces; here the socket reads into 1 MiB slabs (`onread`) and the body's
// chunks are views of them. Measured on a cold 256 MiB pull (test/bench/RESULTS.md): the event
// loop ran 677–924 ms against 957–1,426 ms, and the pull went from 0.80–1.01× to 1.01–1.07×
// distribution's throughput, the margin by which the mirror keeps pace where the link does not
// set it (a LAN mirror as the upstream).
//
// One connection per body (Connection: close): a blob is large enough that a handshake is
// noise, and no connection state outlives the body. The response head goes through
// response-head.ts, which refuses what it is unsure of; framings it leaves alone come back as
// 'unsupported' for the caller to fetch over node:http.
import net, { type Socket } from 'node:net';
import { Readable } from 'node:stream';
import {
  codedError, connectTimeoutCode, deadlineCode, guardedLookup, idleTimeoutCode, refusedAddressCode, slowBodyCode,
  type HttpResponse, type HttpTimeouts, type RequestLimits,
} from './http-shared.js';
import { watchProgress } from './progress-watch.js';
import { parseResponseHead, type ResponseHead } from './response-head.js';

export type RawGetResult = { kind: 'response'; response: HttpResponse } | { kind: 'unsupported'; reason: string };

/** Reads land in slabs this large; a slab whose free tail is below `minReadBytes` is retired. */
const slabBytes = 1024 * 1024;
const minReadBytes = 256 * 1024;
/** Buffered body bytes at which the socket stops reading until the body's reader catches up. */
const bodyHighWaterMark = 64 * 1024;

const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const headerValue = /^[\t\x20-\x7e\x80-\xff]*$/;
const ownHeaders = new Set(['host', 'connection', 'content-length', 'transfer-encoding']);

export function rawGet(url: URL, headers: Record<string, string>, timeouts: HttpTimeouts, limits: RequestLimits): Promise<RawGetResult> {
  if (url.protocol !== 'http:') return Promise.reject(new Error(`the raw reader speaks plain http, not ${url.protocol}`));
  let head: string;
  try {
    head = requestHead(url, headers);
  } catch (error) {
    return Promise.reject(error);
  }
  return new Promise((resolve, reject) => new RawExchange(url, head, timeouts, limits, resolve, reject).start());
}

function requestHead(url: URL, headers: Record<string, string>): string {
  const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`, 'Connection: close'];
  for (const [name, value] of Object.entries(headers)) {
    // node:http refuses these too: a CR or LF in a value would let a caller's input add requests.
    if (!headerName.test(name) || !headerValue.test(value)) throw new Error(`the request header ${JSON.stringify(name)} cannot be sent as given`);
    if (!ownHeaders.has(name.toLowerCase())) lines.push(`${name}: ${value}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}

class RawExchange {
  private socket: Socket | undefined;
  private slab = Buffer.allocUnsafe(0);
  private slabUsed = 0;
  /** Head bytes that came before the head was complete; null once it was parsed. */
  private pendingHead: Buffer | null = Buffer.alloc(0);
  private body: Readable | undefined;
  private remaining: number | 'until-close' = 0;
  private settled = false;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly url: URL,
    private readonly head: string,
    private readonly timeouts: HttpTimeouts,
    private readonly limits: RequestLimits,
    private readonly resolve: (result: RawGetResult) => void,
    private readonly reject: (error: Error) => void,
  ) {}

  start(): void {
    const refuse = this.limits.refuseAddress;
    const socket = net.connect({
      host: this.url.hostname.replace(/^\[|\]$/g, ''),
      port: Number(this.url.port || 80),
      ...(refuse ? { lookup: guardedLookup(refuse) } : {}),
      onread: { buffer: () => this.nextReadBuffer(), callback: (bytes: number, buffer: Uint8Array) => this.onRead(bytes, buffer) },
    } as net.NetConnectOpts);
    this.socket = socket;
    const connectTimer = setTimeout(() => this.fail(connectTimeoutCode, `connecting to ${this.url.host} timed out`), this.timeouts.connectMs);
    this.timers.push(connectTimer);
    if (this.limits.deadlineAt !== undefined) {
      const wait = Math.max(0, this.limits.deadlineAt - Date.now());
      this.timers.push(setTimeout(() => this.fail(deadlineCode, `${this.url.host} did not finish answering in time`), wait));
    }
    socket.setTimeout(this.timeouts.idleMs, () => this.fail(idleTimeoutCode, `${this.url.host} sent nothing for ${this.timeouts.idleMs} ms`));
    socket.once('connect', () => {
      clearTimeout(connectTimer);
      const refusal = refuse && socket.remoteAddress ? refuse(socket.remoteAddress) : null;
      if (refusal) return this.fail(refusedAddressCode, refusal);
      socket.write(this.head, 'latin1');
    });
    socket.on('error', (error) => (this.body ? this.body.destroy(error) : this.settle(error)));
    socket.once('end', () => {
      if (this.remaining === 'until-close') this.body?.push(null);
    });
    socket.once('close', () => this.onClose());
  }

  private nextReadBuffer(): Buffer {
    if (this.slab.length - this.slabUsed < minReadBytes) {
      this.slab = Buffer.allocUnsafe(slabBytes);
      this.slabUsed = 0;
    }
    return this.slab.subarray(this.slabUsed);
  }

  /** Returns false to stop reading the socket until the body is read again. */
  private onRead(bytes: number, buffer: Uint8Array): boolean {
    const data = Buffer.from(buffer.buffer, buffer.byteOffset, bytes);
    // The bytes read stay the body's: the next read goes past them.
    if (buffer.buffer === this.slab.buffer) this.slabUsed = buffer.byteOffset - this.slab.byteOffset + bytes;
    if (this.pendingHead === null) return this.deliver(data);
    const received = this.pendingHead.length === 0 ? data : Buffer.concat([this.pendingHead, data]);
    let parsed;
    try {
      parsed = parseResponseHead(received);
    } catch (error) {
      this.socket?.destroy(error as Error);
      return false;
    }
    if (parsed.kind === 'incomplete') {
      this.pendingHead = received;
      return true;
    }
    this.pendingHead = null;
    if (parsed.kind === 'unsupported') {
      this.settle({ kind: 'unsupported', reason: parsed.reason });
      this.socket?.destroy();
      return false;
    }
    this.answer(parsed.head);
    const rest = received.subarray(parsed.head.headLength);
    return rest.length > 0 || this.remaining === 0 ? this.deliver(rest) : true;
  }

  private answer(head: ResponseHead): void {
    const socket = this.socket!;
    this.remaining = head.bodyLength;
    const body = new Readable({
      highWaterMark: bodyHighWaterMark,
      read: () => void socket.resume(),
      destroy: (error, callback) => {
        socket.destroy();
        this.clearTimers();
        callback(error);
      },
    });
    this.body = body;
    if (!this.limits.deadlineCoversBody) this.clearTimers();
    if (this.limits.minProgress) {
      watchProgress(body, socket, this.limits.minProgress, () => this.fail(slowBodyCode, `${this.url.host} sent the body too slowly`));
    }
    this.settle({ kind: 'response', response: { statusCode: head.statusCode, headers: head.headers, body, remoteAddress: socket.remoteAddress } });
  }

  private deliver(chunk: Buffer): boolean {
    const body = this.body!;
    if (this.remaining === 'until-close') return body.push(chunk);
    // Bytes past the declared length are not the body's; the connection is closed on them.
    const own = chunk.length > this.remaining ? chunk.subarray(0, this.remaining) : chunk;
    this.remaining -= own.length;
    const more = own.length === 0 || body.push(own);
    if (this.remaining > 0) return more;
    body.push(null);
    this.clearTimers();
    this.socket?.destroy();
    return false;
  }

  private onClose(): void {
    this.clearTimers();
    if (!this.body) return this.settle(codedError('ECONNRESET', `${this.url.host} closed the connection before answering`));
    if (typeof this.remaining === 'number' && this.remaining > 0 && !this.body.destroyed) {
      this.body.destroy(codedError('ECONNRESET', `${this.url.host} closed the connection ${this.remaining} bytes before the end of the body`));
    }
  }

  private fail(code: string, message: string): void {
    const error = codedError(code, message);
    // Once the head is in, the body's reader is the one to learn why it ended.
    if (this.body) this.body.destroy(error);
    else this.socket?.destroy(error);
  }

  private settle(outcome: RawGetResult | Error): void {
    if (this.settled) return;
    this.settled = true;
    if (outcome instanceof Error) this.reject(outcome);
    else this.resolve(outcome);
  }

  private clearTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.length = 0;
  }
}

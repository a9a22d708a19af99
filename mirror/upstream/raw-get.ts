// A GET on http or https whose body is read straight off the socket, for blob bodies. node:http
// copies every body chunk out of its socket read (its parser hands out a copy, not a view); here
// the socket reads into slabs of its own (`onread`, raw-connection.ts) and the body's chunks are
// views of them. Measured (test/bench/RESULTS.md, issue 16, fifth pass) on a cold 256 MiB pull
// over plain http: the engine's CPU per MiB went from 3.0-3.7 ms to 2.7-2.8 with 64 KiB slabs,
// and receiving 256 MiB over TLS cost 0.93-1.03 ms of CPU per MiB against node:https's 1.37-1.78.
//
// With a pool, connections are kept for the next request when an answer ended exactly at its
// Content-Length and the server did not ask to close; a pooled connection that turns out to be
// closed before any byte of the answer is replaced once by a new one (a GET may be repeated).
// The response head goes through response-head.ts, which refuses what it is unsure of; framings
// it leaves alone come back as 'unsupported' for the caller to fetch over node:http.
import { Readable } from 'node:stream';
import {
  codedError, connectTimeoutCode, deadlineCode, idleTimeoutCode, refusedAddressCode, slowBodyCode,
  type HttpResponse, type HttpTimeouts, type RequestLimits,
} from './http-shared.js';
import { watchProgress } from './progress-watch.js';
import { RawConnection, type ConnectionUser, type RawPool } from './raw-connection.js';
import { fieldValue, parseResponseHead, token, type ResponseHead } from './response-head.js';

export type RawGetResult = { kind: 'response'; response: HttpResponse } | { kind: 'unsupported'; reason: string };

/** Buffered body bytes at which the socket stops reading until the body's reader catches up. */
const bodyHighWaterMark = 64 * 1024;

const ownHeaders = new Set(['host', 'connection', 'content-length', 'transfer-encoding']);

/** Without a pool the request asks the server to close the connection after its answer. */
export function rawGet(url: URL, headers: Record<string, string>, timeouts: HttpTimeouts, limits: RequestLimits, pool?: RawPool): Promise<RawGetResult> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return Promise.reject(new Error(`the raw reader speaks http and https, not ${url.protocol}`));
  let head: string;
  try {
    head = requestHead(url, headers, pool !== undefined);
  } catch (error) {
    return Promise.reject(error);
  }
  return new Promise((resolve, reject) => new RawExchange(url, head, timeouts, limits, pool, resolve, reject).start());
}

function requestHead(url: URL, headers: Record<string, string>, keepAlive: boolean): string {
  const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`, ...(keepAlive ? [] : ['Connection: close'])];
  for (const [name, value] of Object.entries(headers)) {
    // node:http refuses these too: a CR or LF in a value would let a caller's input add requests.
    if (!token.test(name) || !fieldValue.test(value)) throw new Error(`the request header ${JSON.stringify(name)} cannot be sent as given`);
    if (!ownHeaders.has(name.toLowerCase())) lines.push(`${name}: ${value}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}

class RawExchange implements ConnectionUser {
  private connection!: RawConnection;
  /** A connection from the pool, not yet heard from: if it closes now, a new one is dialled. */
  private mayRedial = false;
  /** Head bytes that came before the head was complete; null once it was parsed. */
  private pendingHead: Buffer | null = Buffer.alloc(0);
  private body: Readable | undefined;
  private remaining: number | 'until-close' = 0;
  private reusable = false;
  /** The whole body has arrived: the connection is no longer this exchange's to judge. */
  private complete = false;
  private settled = false;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly url: URL,
    private readonly head: string,
    private readonly timeouts: HttpTimeouts,
    private readonly limits: RequestLimits,
    private readonly pool: RawPool | undefined,
    private readonly resolve: (result: RawGetResult) => void,
    private readonly reject: (error: Error) => void,
  ) {}

  start(): void {
    if (this.limits.deadlineAt !== undefined) {
      const wait = Math.max(0, this.limits.deadlineAt - Date.now());
      this.timers.push(setTimeout(() => this.fail(deadlineCode, `${this.url.host} did not finish answering in time`), wait));
    }
    const pooled = this.pool?.take(this.url.origin);
    if (pooled && !this.refusal(pooled.socket.remoteAddress)) {
      this.attach(pooled);
      this.mayRedial = true;
      pooled.socket.write(this.head, 'latin1');
      return;
    }
    pooled?.socket.destroy();
    this.dial();
  }

  private dial(): void {
    const connection = RawConnection.dial(this.url, this.limits.refuseAddress);
    const socket = connection.socket;
    const connectTimer = setTimeout(() => this.fail(connectTimeoutCode, `connecting to ${this.url.host} timed out`), this.timeouts.connectMs);
    this.timers.push(connectTimer);
    this.attach(connection);
    const send = (): void => {
      clearTimeout(connectTimer);
      socket.write(this.head, 'latin1');
    };
    const secure = connection.secure;
    socket.once('connect', () => {
      const refusal = this.refusal(socket.remoteAddress);
      if (refusal) return this.fail(refusedAddressCode, refusal);
      // On https the handshake counts as connecting: a server that takes the connection and
      // never completes it is cut at the connect timeout.
      if (!secure) send();
    });
    if (secure) socket.once('secureConnect', send);
  }

  private attach(connection: RawConnection): void {
    this.connection = connection;
    connection.user = this;
    connection.socket.setTimeout(this.timeouts.idleMs);
  }

  private refusal(address: string | undefined): string | null {
    return this.limits.refuseAddress && address ? this.limits.refuseAddress(address) : null;
  }

  /** A pooled connection the server had closed: the request goes once more, on a new one. */
  private redialed(): boolean {
    // Only before any byte of the answer, so the request has not been settled either.
    if (!this.mayRedial) return false;
    this.mayRedial = false;
    this.connection.user = null;
    this.connection.socket.destroy();
    this.dial();
    return true;
  }

  onBytes(data: Buffer): boolean {
    this.mayRedial = false;
    if (this.pendingHead === null) return this.deliver(data);
    const received = this.pendingHead.length === 0 ? data : Buffer.concat([this.pendingHead, data]);
    let parsed;
    try {
      parsed = parseResponseHead(received);
    } catch (error) {
      this.connection.socket.destroy(error as Error);
      return false;
    }
    if (parsed.kind === 'incomplete') {
      this.pendingHead = received;
      return true;
    }
    this.pendingHead = null;
    if (parsed.kind === 'unsupported') {
      this.settle({ kind: 'unsupported', reason: parsed.reason });
      this.connection.socket.destroy();
      return false;
    }
    this.answer(parsed.head);
    const rest = received.subarray(parsed.head.headLength);
    return rest.length > 0 || this.remaining === 0 ? this.deliver(rest) : true;
  }

  onEnd(): void {
    if (this.remaining !== 'until-close' || !this.body) return;
    // The server's end is this body's end: whole, though its reader may not have taken it yet.
    this.complete = true;
    this.body.push(null);
  }

  onError(error: Error): void {
    if (this.redialed()) return;
    if (this.body) this.body.destroy(error);
    else this.settle(error);
  }

  onTimeout(): void {
    this.fail(idleTimeoutCode, `${this.url.host} sent nothing for ${this.timeouts.idleMs} ms`);
  }

  onClose(): void {
    if (this.redialed()) return;
    this.clearTimers();
    if (!this.body) return this.settle(codedError('ECONNRESET', `${this.url.host} closed the connection before answering`));
    if (typeof this.remaining === 'number' && this.remaining > 0 && !this.body.destroyed) {
      this.body.destroy(codedError('ECONNRESET', `${this.url.host} closed the connection ${this.remaining} bytes before the end of the body`));
    }
  }

  private ownsConnection(): boolean {
    return this.connection.user === this;
  }

  private answer(head: ResponseHead): void {
    const socket = this.connection.socket;
    this.remaining = head.bodyLength;
    this.reusable = this.pool !== undefined && head.keepAlive;
    const body = new Readable({
      highWaterMark: bodyHighWaterMark,
      // Once the body is in and its connection pooled, that connection is another request's.
      read: () => void (this.ownsConnection() && socket.resume()),
      destroy: (error, callback) => {
        if (this.ownsConnection()) socket.destroy();
        this.clearTimers();
        callback(error);
      },
    });
    this.body = body;
    if (!this.limits.deadlineCoversBody) this.clearTimers();
    if (this.limits.minProgress) {
      watchProgress(body, socket, this.limits.minProgress, () => this.complete, () => this.fail(slowBodyCode, `${this.url.host} sent the body too slowly`));
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
    this.complete = true;
    body.push(null);
    this.clearTimers();
    if (this.reusable && own.length === chunk.length) {
      this.pool!.give(this.connection);
      // Reading on, so that the server's close of the idle connection is seen.
      return true;
    }
    this.connection.user = null;
    this.connection.socket.destroy();
    return false;
  }

  private fail(code: string, message: string): void {
    if (this.complete) return;
    const error = codedError(code, message);
    this.mayRedial = false;
    // Once the head is in, the body's reader is the one to learn why it ended.
    if (this.body) this.body.destroy(error);
    else this.connection.socket.destroy(error);
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

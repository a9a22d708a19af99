// Requests to the upstream over node:http and node:https with keep-alive pools, a connect
// timeout and an idle timeout (no headers, or no body bytes, for that long). Node's own HTTP
// stack rather than undici: measured on Node 20 with undici 7, importing undici costs ~17 MiB of
// resident memory (its WebAssembly parser), and reading one 256 MiB body peaked at 131 MiB RSS
// against 82 MiB with node:http, where the mirror must stay under 100 MiB while it streams 1 GiB
// to eight clients. undici stays a dev dependency for the clients of the tests and the bench.
//
// An idle timeout alone lets an upstream that drips one byte per second hold a request for
// ever, so a request may also carry an overall deadline (small answers: manifests, tokens) or a
// minimum-progress rule (blobs, which may take long but must keep moving).
//
// Blob GETs go to raw-get.ts instead, which reads bodies without node:http's per-chunk copy;
// what it cannot frame comes back here.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import {
  codedError, connectTimeoutCode, deadlineCode, guardedLookup, idleTimeoutCode, refusedAddressCode, slowBodyCode,
  type HttpResponse, type HttpTimeouts, type RequestLimits,
} from './http-shared.js';
import { watchProgress } from './progress-watch.js';
import { RawPool } from './raw-connection.js';
import { rawGet } from './raw-get.js';

export type { HttpResponse, HttpTimeouts, RequestLimits } from './http-shared.js';
export { connectTimeoutCode, deadlineCode, idleTimeoutCode, refusedAddressCode, slowBodyCode } from './http-shared.js';

/** Redirect and error bodies larger than this are not worth reading to keep the connection. */
const maxDumpBytes = 128 * 1024;
const maxRememberedOrigins = 64;

export class UpstreamHttp {
  private agents: { http: http.Agent; https: https.Agent } | null = null;
  /** Origins whose blob answers the raw reader left to node:http (chunked ones): asked there first. */
  private readonly rawUnsupported = new Set<string>();
  private readonly rawPool = new RawPool();

  constructor(private readonly timeouts: HttpTimeouts) {}

  request(url: URL, method: string, headers: Record<string, string>, limits: RequestLimits = {}): Promise<HttpResponse> {
    const refuse = limits.refuseAddress;
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    const literalRefusal = refuse && isIP(literal) ? refuse(literal) : null;
    if (literalRefusal) return Promise.reject(codedError(refusedAddressCode, literalRefusal));
    if (method !== 'GET' || !limits.largeBody || this.rawUnsupported.has(url.origin)) {
      return this.viaNode(url, method, headers, limits);
    }
    return rawGet(url, headers, this.timeouts, limits, this.rawPool).then((result) => {
      if (result.kind === 'response') return result.response;
      // Bounded, as any per-origin memory fed by what upstreams send must be.
      if (this.rawUnsupported.size >= maxRememberedOrigins) this.rawUnsupported.clear();
      this.rawUnsupported.add(url.origin);
      return this.viaNode(url, method, headers, limits);
    });
  }

  private viaNode(url: URL, method: string, headers: Record<string, string>, limits: RequestLimits): Promise<HttpResponse> {
    const agents = (this.agents ??= {
      // Idle pooled connections go after 30 s, before most servers would cut them under us.
      http: new http.Agent({ keepAlive: true, timeout: 30_000 }),
      https: new https.Agent({ keepAlive: true, timeout: 30_000 }),
    });
    const secure = url.protocol === 'https:';
    const refuse = limits.refuseAddress;
    return new Promise((resolve, reject) => {
      const request = (secure ? https : http).request(url, {
        method,
        headers,
        agent: secure ? agents.https : agents.http,
        ...(refuse ? { lookup: guardedLookup(refuse) } : {}),
      });
      let response: IncomingMessage | undefined;
      const fail = (code: string, message: string): void => {
        const error = codedError(code, message);
        // Once the headers are in, the body reader is the one to learn why it ended.
        if (response) response.destroy(error);
        else request.destroy(error);
      };
      const connectTimer = setTimeout(() => fail(connectTimeoutCode, `connecting to ${url.host} timed out`), this.timeouts.connectMs);
      const deadlineTimer =
        limits.deadlineAt === undefined
          ? undefined
          : setTimeout(() => fail(deadlineCode, `${url.host} did not finish answering in time`), Math.max(0, limits.deadlineAt - Date.now()));
      const clearDeadline = (): void => clearTimeout(deadlineTimer);
      request.on('socket', (socket: Socket) => {
        const check = (): void => {
          const refusal = refuse && socket.remoteAddress ? refuse(socket.remoteAddress) : null;
          if (refusal) fail(refusedAddressCode, refusal);
        };
        if (!socket.connecting) {
          clearTimeout(connectTimer);
          check();
        } else {
          socket.once('connect', () => {
            clearTimeout(connectTimer);
            check();
          });
        }
      });
      request.setTimeout(this.timeouts.idleMs, () => fail(idleTimeoutCode, `${url.host} sent nothing for ${this.timeouts.idleMs} ms`));
      request.on('response', (res) => {
        clearTimeout(connectTimer);
        response = res;
        if (!limits.deadlineCoversBody) clearDeadline();
        else res.once('close', clearDeadline);
        if (limits.minProgress) watchProgress(res, res.socket, limits.minProgress, () => res.complete, () => fail(slowBodyCode, `${url.host} sent the body too slowly`));
        resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: res, remoteAddress: res.socket?.remoteAddress });
      });
      request.on('error', (error) => {
        clearTimeout(connectTimer);
        clearDeadline();
        reject(error);
      });
      request.end();
    });
  }

  /** Closes pooled connections; the next request opens new ones. Call when no request is running. */
  close(): void {
    const agents = this.agents;
    this.agents = null;
    agents?.http.destroy();
    agents?.https.destroy();
    this.rawPool.close();
  }
}

/** Reads and drops a small body so its connection can be reused; a large one is cut instead. */
export function dump(body: Readable): Promise<void> {
  return new Promise((resolve) => {
    let bytes = 0;
    body.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxDumpBytes) body.destroy();
    });
    body.once('end', resolve);
    body.once('close', resolve);
    body.once('error', () => resolve());
  });
}

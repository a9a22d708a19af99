// Requests to the upstream over node:http and node:https with keep-alive pools, a connect
// timeout and an idle timeout (no headers, or no body bytes, for that long). Node's own HTTP
// stack rather than undici: measured on Node 20 with undici 7, importing undici costs ~17 MiB of
// resident memory (its WebAssembly parser), and reading one 256 MiB body peaked at 131 MiB RSS
// against 82 MiB with node:http, where the mirror must stay under 100 MiB while it streams 1 GiB
// to eight clients. undici stays a dev dependency for the clients of the tests and the bench.
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';

export interface HttpResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
}

export interface HttpTimeouts {
  connectMs: number;
  idleMs: number;
}

/** Error codes of our own timeouts, for messages a person can act on. */
export const connectTimeoutCode = 'UPSTREAM_CONNECT_TIMEOUT';
export const idleTimeoutCode = 'UPSTREAM_IDLE_TIMEOUT';

/** Redirect and error bodies larger than this are not worth reading to keep the connection. */
const maxDumpBytes = 128 * 1024;

export class UpstreamHttp {
  private agents: { http: http.Agent; https: https.Agent } | null = null;

  constructor(private readonly timeouts: HttpTimeouts) {}

  request(url: URL, method: string, headers: Record<string, string>): Promise<HttpResponse> {
    const agents = (this.agents ??= {
      // Idle pooled connections go after 30 s, before most servers would cut them under us.
      http: new http.Agent({ keepAlive: true, timeout: 30_000 }),
      https: new https.Agent({ keepAlive: true, timeout: 30_000 }),
    });
    const secure = url.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const request = (secure ? https : http).request(url, { method, headers, agent: secure ? agents.https : agents.http });
      let response: IncomingMessage | undefined;
      const fail = (code: string, message: string): void => {
        const error = Object.assign(new Error(message), { code });
        // Once the headers are in, the body reader is the one to learn why it ended.
        if (response) response.destroy(error);
        else request.destroy(error);
      };
      const connectTimer = setTimeout(() => fail(connectTimeoutCode, `connecting to ${url.host} timed out`), this.timeouts.connectMs);
      request.on('socket', (socket) => {
        if (!socket.connecting) clearTimeout(connectTimer);
        else socket.once('connect', () => clearTimeout(connectTimer));
      });
      request.setTimeout(this.timeouts.idleMs, () => fail(idleTimeoutCode, `${url.host} sent nothing for ${this.timeouts.idleMs} ms`));
      request.on('response', (res) => {
        clearTimeout(connectTimer);
        response = res;
        resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: res });
      });
      request.on('error', (error) => {
        clearTimeout(connectTimer);
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

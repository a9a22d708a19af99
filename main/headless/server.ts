// The headless host for the window: serves the built renderer and an HTTP/JSON + Server-Sent
// Events adapter of the same DockmirrorApi the Electron preload exposes, so the UI runs (and is
// tested) in any browser. Loopback by default, and every request must prove it knows the random
// token printed at startup — a page on another port of this machine must not drive the mirror.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { DockmirrorApi } from '../shared/contract.js';
import { apiMethods, BadRequest } from './api-methods.js';
import { serveStatic } from './static-files.js';
import { EventHub } from './event-hub.js';
import { securityHeaders } from './security-headers.js';
import { allowedHostHeaders, windowClientAllowed } from './ui-access.js';

export interface HeadlessOptions {
  host: string;
  port: number;
  token?: string;
  /** Folder holding the built renderer (index.html); default dist/renderer next to this file. */
  rendererDir?: string;
  /**
   * Given when the user chose to serve the window beyond loopback (--ui-allow-lan): the mirror's
   * allowlist of the moment, which non-loopback window clients must then be on.
   */
  allowlist?: () => readonly string[];
}

export interface HeadlessServer {
  url: string;
  token: string;
  close(): Promise<void>;
}

const maxBodyBytes = 1024 * 1024;
const defaultRendererDir = fileURLToPath(new URL('../../renderer/', import.meta.url));


function sameToken(given: string | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieToken(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { ...securityHeaders, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value), 'application/json; charset=utf-8');
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBodyBytes) throw new BadRequest('The request is too large.');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function errorPayload(error: unknown): { status: number; body: { error: { code: string; message: string } } } {
  if (error instanceof BadRequest) return { status: 400, body: { error: { code: error.code, message: error.message } } };
  const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : 'failed';
  const message = error instanceof Error && error.message ? error.message : 'Something went wrong.';
  return { status: 422, body: { error: { code, message } } };
}

export async function startHeadless(api: DockmirrorApi, options: HeadlessOptions): Promise<HeadlessServer> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const rendererDir = options.rendererDir ?? defaultRendererDir;
  const hub = new EventHub(api);
  let cookieName = 'dockmirror';
  let hostHeaders = new Set<string>();

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, errorPayload(error).body);
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!windowClientAllowed(req.socket.remoteAddress, options.allowlist?.() ?? null)) {
      return send(res, 403, 'This window does not serve your network; it is not in the mirror\'s allowlist.');
    }
    // A DNS-rebinding page reaches this server under its own host name: refuse it.
    if (!hostHeaders.has((req.headers.host ?? '').toLowerCase())) {
      return send(res, 421, 'This address only answers as localhost, 127.0.0.1, [::1] or the address it listens on, with its port.');
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const headerToken = req.headers['x-dockmirror-token'];
    const fromHeader = sameToken(typeof headerToken === 'string' ? headerToken : undefined, token);
    const fromQuery = sameToken(url.searchParams.get('token') ?? undefined, token);
    const fromCookie = sameToken(cookieToken(req, cookieName), token);

    if (url.pathname.startsWith('/api/call/')) {
      // Calls must carry the token in a header: a cross-site form or image cannot set one, so a
      // same-site page on another port cannot ride on the cookie.
      if (req.method !== 'POST') return send(res, 405, 'Use POST.');
      if (!fromHeader) return sendJson(res, 401, { error: { code: 'unauthorized', message: 'This request needs the token Dockmirror printed at startup.' } });
      const handler = Object.hasOwn(apiMethods, url.pathname.slice(10)) ? apiMethods[url.pathname.slice(10)] : undefined;
      if (!handler) return sendJson(res, 404, { error: { code: 'not-found', message: 'There is no such action.' } });
      if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
        return sendJson(res, 415, { error: { code: 'bad-request', message: 'Send the arguments as JSON.' } });
      }
      try {
        const text = await readBody(req);
        let args: unknown;
        try {
          args = text.trim() === '' ? [] : JSON.parse(text);
        } catch {
          throw new BadRequest('The arguments are not valid JSON.');
        }
        if (!Array.isArray(args)) throw new BadRequest('The arguments must be a JSON list.');
        const result = await handler(api, args);
        return sendJson(res, 200, { result: result ?? null });
      } catch (error) {
        const { status, body } = errorPayload(error);
        return sendJson(res, status, body);
      }
    }

    if (!fromHeader && !fromQuery && !fromCookie) {
      return send(res, 401, 'Open the address Dockmirror printed at startup; it carries the access token.');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Use GET.');
    if (url.pathname === '/api/events') return hub.attach(req, res);
    if (url.pathname === '/api/session') return sendJson(res, 200, { token });

    const extra: Record<string, string> = {};
    if (fromQuery) {
      // Lets the page's own scripts, styles and event stream in without the token in each URL.
      extra['Set-Cookie'] = `${cookieName}=${token}; Path=/; HttpOnly; SameSite=Strict`;
    }
    return serveStatic(rendererDir, url.pathname, req, res, { ...securityHeaders, ...extra });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const where = `${options.host}:${options.port}`;
      if (error.code === 'EADDRINUSE') reject(new Error(`The window address ${where} is already in use; choose another with --ui HOST:PORT.`));
      else if (error.code === 'EADDRNOTAVAIL') reject(new Error(`This machine has no address ${options.host}; the window cannot listen on ${where}.`));
      else if (error.code === 'EACCES') reject(new Error(`Listening on ${where} needs more privileges; choose a port above 1023.`));
      else reject(error);
    });
    server.listen(options.port, options.host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  cookieName = `dockmirror-${address.port}`; // cookies ignore ports; one name per server.
  hostHeaders = allowedHostHeaders({ host: address.address, port: address.port });
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  hub.start();

  return {
    url: `http://${shownHost}:${address.port}/?token=${token}`,
    token,
    async close() {
      hub.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

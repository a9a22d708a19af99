// An upstream that misbehaves on purpose: a real HTTP server in front of the hub stand-in that
// passes everything through (the token realm included, so the mirror sees one origin) unless a
// rule says otherwise, and then redirects, drips, stalls or swaps the answer. Beside it, a
// recorder: a server that answers every request and remembers who asked with what credentials.
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { listenOnLoopback } from './ports.js';

export type FrontAction =
  /** Answer 307 (or `status`) with this Location. */
  | { kind: 'redirect'; location: string; status?: number }
  /** Pass the answer through, but send its body one byte every `intervalMs`. */
  | { kind: 'drip'; intervalMs: number }
  /** Accept the request and never answer. */
  | { kind: 'stall' }
  /** Answer this instead of what the hub said. */
  | { kind: 'replace'; status?: number; headers?: Record<string, string>; body?: Buffer }
  /** Pass the hub's answer through with some headers changed and, optionally, another body. */
  | { kind: 'rewrite'; headers?: Record<string, string>; body?: Buffer };

interface Rule {
  matches: (method: string, path: string, authorization: string | undefined) => boolean;
  action: FrontAction;
  remaining: number;
}

export interface SeenAtFront {
  method: string;
  url: string;
  authorization: string | undefined;
}

export class HostileFront {
  readonly seen: SeenAtFront[] = [];
  private readonly rules: Rule[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  private port = 0;

  constructor(private readonly hubUrl: string) {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Open connections from the mirror right now. */
  get openConnections(): number {
    return this.sockets.size;
  }

  async start(): Promise<void> {
    this.port = await listenOnLoopback(this.server);
  }

  /** Applies `action` to the next `times` requests whose method and path match. */
  when(matches: (method: string, path: string, authorization: string | undefined) => boolean, action: FrontAction, times = Number.POSITIVE_INFINITY): void {
    this.rules.push({ matches, action, remaining: times });
  }

  clear(): void {
    this.rules.length = 0;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    this.seen.push({ method, url: path, authorization: req.headers.authorization });
    const rule = this.rules.find((candidate) => candidate.remaining > 0 && candidate.matches(method, path, req.headers.authorization));
    if (rule) rule.remaining--;
    const action = rule?.action;
    if (action?.kind === 'stall') return;
    if (action?.kind === 'redirect') {
      res.writeHead(action.status ?? 307, { location: action.location, 'content-length': '0' });
      res.end();
      return;
    }
    if (action?.kind === 'replace') {
      const body = action.body ?? Buffer.alloc(0);
      res.writeHead(action.status ?? 200, { 'content-length': String(body.length), ...action.headers });
      res.end(method === 'HEAD' ? undefined : body);
      return;
    }
    const answer = await this.forward(req, method, path).catch(() => null);
    if (!answer) {
      res.destroy();
      return;
    }
    const headers = this.rewriteRealm(answer.headers);
    let body = answer.body;
    if (action?.kind === 'rewrite') {
      // An empty value removes the header.
      for (const [key, value] of Object.entries(action.headers ?? {})) {
        if (value === '') delete headers[key];
        else headers[key] = value;
      }
      if (action.body) body = action.body;
    }
    headers['content-length'] = String(method === 'HEAD' ? (answer.headers['content-length'] ?? body.length) : body.length);
    res.writeHead(answer.status, headers);
    if (method === 'HEAD') return void res.end();
    if (action?.kind !== 'drip') return void res.end(body);
    let offset = 0;
    const timer = setInterval(() => {
      if (offset >= body.length || res.destroyed) {
        clearInterval(timer);
        res.end();
        return;
      }
      res.write(body.subarray(offset, ++offset));
    }, action.intervalMs);
    res.on('close', () => clearInterval(timer));
  }

  /** The hub's challenge names its own origin; the mirror must see the front's. */
  private rewriteRealm(headers: IncomingHttpHeaders): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(headers)) {
      if (value === undefined || key === 'connection' || key === 'keep-alive' || key === 'transfer-encoding') continue;
      out[key] = Array.isArray(value) ? value.join(', ') : value;
    }
    if (out['www-authenticate']) out['www-authenticate'] = out['www-authenticate'].split(this.hubUrl).join(this.url);
    return out;
  }

  private forward(req: IncomingMessage, method: string, path: string): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
    const target = new URL(this.hubUrl);
    const headers = { ...req.headers, host: target.host };
    return new Promise((resolve, reject) => {
      const outgoing = request({ host: target.hostname, port: target.port, method, path, headers }, (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: Buffer.concat(chunks) }));
        answer.on('error', reject);
      });
      outgoing.on('error', reject);
      req.pipe(outgoing);
    });
  }
}

export async function startHostileFront(hubUrl: string): Promise<HostileFront> {
  const front = new HostileFront(hubUrl);
  await front.start();
  return front;
}

/** A server that answers every request with `answer` and keeps who asked, with which Authorization. */
export async function startRecorder(answer: { status?: number; headers?: Record<string, string>; body?: Buffer } = {}): Promise<{
  url: string;
  seen: SeenAtFront[];
  /** Headers of every answer; may be changed once the recorder's own URL is known. */
  headers: Record<string, string>;
  close(): Promise<void>;
}> {
  const seen: SeenAtFront[] = [];
  const headers = { ...answer.headers };
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? 'GET', url: req.url ?? '/', authorization: req.headers.authorization });
    const body = answer.body ?? Buffer.from('{"recorded":true}');
    res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', 'content-length': String(body.length), ...headers });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    headers,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

// Fans the core's events and state changes out to every open Server-Sent Events stream. One
// subscription to the core for all browser tabs; each stream is dropped when its tab goes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DockmirrorApi } from '../shared/contract.js';
import { securityHeaders } from './security-headers.js';

const heartbeatMs = 15_000;

export class EventHub {
  private readonly streams = new Set<ServerResponse>();
  private unsubscribe: (() => void)[] = [];
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(private readonly api: DockmirrorApi) {}

  start(): void {
    this.unsubscribe = [
      this.api.onEvent((event) => this.broadcast('mirror', event)),
      this.api.onState((state) => this.broadcast('state', state)),
    ];
    // Comments keep proxies and idle timers from closing a quiet stream.
    this.heartbeat = setInterval(() => this.write(': keep-alive\n\n'), heartbeatMs);
    this.heartbeat.unref();
  }

  stop(): void {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    clearInterval(this.heartbeat);
    for (const res of this.streams) res.end();
    this.streams.clear();
  }

  attach(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      ...securityHeaders,
      'Content-Type': 'text/event-stream; charset=utf-8',
      Connection: 'keep-alive',
    });
    res.write('retry: 2000\n\n');
    this.streams.add(res);
    const drop = (): void => {
      this.streams.delete(res);
    };
    req.on('close', drop);
    res.on('error', drop);
  }

  private broadcast(name: string, payload: unknown): void {
    this.write(`event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`);
  }

  private write(chunk: string): void {
    for (const res of this.streams) res.write(chunk);
  }
}

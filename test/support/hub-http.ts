// Small HTTP pieces the hub stand-in's three servers share: Basic parsing, JSON and OCI error replies.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SeenRequest } from './hub-types.js';


export function bump(counter: Record<string, number>, key: string, by = 1): void {
  counter[key] = (counter[key] ?? 0) + by;
}

export function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

export function parseBasic(header: string | undefined): { username: string; password: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function authorizationKind(header: string | undefined): SeenRequest['authorization'] {
  if (header === undefined) return 'none';
  if (/^Bearer\s/i.test(header)) return 'bearer';
  if (/^Basic\s/i.test(header)) return 'basic';
  return 'other';
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function clientAddress(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? 'unknown';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(bytes.length), ...headers });
  res.end(bytes);
}

export function registryError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}, detail?: unknown): void {
  sendJson(res, status, { errors: [{ code, message, detail: detail ?? null }] }, {
    'docker-distribution-api-version': 'registry/2.0',
    ...headers,
  });
}

// How upstream answers and network failures become the mirror's own errors, and the small
// helpers for reading upstream answers that go with it.
import type { Readable } from 'node:stream';
import { RegistryError } from '../errors.js';
import { connectTimeoutCode, deadlineCode, dump, idleTimeoutCode, refusedAddressCode, slowBodyCode } from './http-request.js';
import { malformedHeadCode } from './response-head.js';

export type Headers = Record<string, string | string[] | undefined>;

export interface UpstreamReply {
  status: number;
  headers: Headers;
  body: Readable;
}

/** The upstream answered something the mirror must not pass on or store: 502, nothing stored. */
export function badUpstream(message: string): RegistryError {
  return new RegistryError('UPSTREAM_INVALID', message);
}

/** Drops a body we do not need: a small one is read to keep its connection, a large one cut. */
export function discard(body: Readable): void {
  void dump(body);
}

export function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The upstream's own error message, quoted in ours: short and printable, as the upstream chose it. */
export function upstreamMessage(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { errors?: { message?: unknown }[] };
    const message = parsed.errors?.[0]?.message;
    return typeof message === 'string' ? message.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').slice(0, 200) : undefined;
  } catch {
    return undefined;
  }
}

export function networkErrorCode(error: unknown): string | undefined {
  const err = error as { code?: string; cause?: { code?: string } } | undefined;
  return err?.code ?? err?.cause?.code;
}

export function describeNetworkError(error: unknown, limits: { idleMs: number; deadlineMs: number }): string {
  const code = networkErrorCode(error);
  // Our own codes mean nothing to the person reading the message.
  if (code === idleTimeoutCode) return `it did not answer within ${limits.idleMs / 1000} s`;
  if (code === deadlineCode) return `it did not finish answering within ${limits.deadlineMs / 1000} s`;
  if (code === slowBodyCode) return 'it sent too slowly';
  if (code === connectTimeoutCode) return 'connecting to it timed out';
  if (code === refusedAddressCode) return (error as Error).message;
  if (code === malformedHeadCode) return `it sent a malformed answer: ${(error as Error).message}`;
  return code ?? (error as Error | undefined)?.message ?? 'unknown error';
}

/** Reads a whole small body; more than `limit` bytes is not what was asked for. */
export async function readLimited(body: Readable, limit: number, what = 'a manifest'): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += (chunk as Buffer).length;
    if (total > limit) {
      body.destroy();
      throw badUpstream(`the upstream sent more than ${limit} bytes where ${what} was expected`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** An upstream 429's Retry-After in seconds, when it gave a plain number. */
export function retryAfterSeconds(reply: UpstreamReply): number | null {
  const given = header(reply.headers, 'retry-after')?.trim() ?? '';
  return /^\d{1,7}$/.test(given) ? Number(given) : null;
}

/** Translates an upstream error answer into the mirror's own error. */
export async function translateFailure(reply: UpstreamReply, repository: string, host: string, registry: string): Promise<RegistryError> {
  const text = (await readLimited(reply.body, 64 * 1024).catch(() => Buffer.alloc(0))).toString('utf8');
  if (reply.status === 429) {
    // Passed on to clients, so only a plain number of seconds goes through.
    const given = header(reply.headers, 'retry-after')?.trim() ?? '';
    const retryAfter = /^\d{1,7}$/.test(given) ? given : '60';
    return new RegistryError(
      'TOOMANYREQUESTS',
      `the ${registry} pull rate limit was reached for this mirror's address (${host} said: ${upstreamMessage(text) ?? 'too many requests'}); cached images are still served, and adding ${registry} credentials raises the limit`,
      { headers: { 'retry-after': retryAfter } },
    );
  }
  if (reply.status === 404) return new RegistryError('NAME_UNKNOWN', `repository ${repository} is not known to the upstream registry`);
  // Docker Hub answers 401 for a repository that does not exist as well as for a private one;
  // either way the client can get nothing here, and a 404 sends it on to its next registry.
  if (reply.status === 401) {
    return new RegistryError('NAME_UNKNOWN', `repository ${repository} is not known to the upstream registry, or it is private and this mirror's credentials do not open it`);
  }
  if (reply.status === 403) return new RegistryError('DENIED', `the upstream denied access to ${repository}`);
  if (reply.status >= 300 && reply.status < 400) return badUpstream(`the upstream registry ${host} answered ${reply.status} without a redirect the mirror may follow`);
  return new RegistryError('UNAVAILABLE', `the upstream registry ${host} answered ${reply.status}${upstreamMessage(text) ? `: ${upstreamMessage(text)}` : ''}`);
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

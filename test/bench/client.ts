// The client side of the benchmark, written with undici: full-body blob pulls (hashed when
// intactness is claimed), a direct pull from the Hub stand-in for the baseline, and a bounded
// request loop (autocannon-like: N workers, stop at a deadline or a request cap).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { request, type Dispatcher } from 'undici';
import { nodeEnvTrusting } from '../support/test-ca.js';
import type { PullRequest } from './pull-child.js';

const execFileAsync = promisify(execFile);

export interface PullResult {
  status: number;
  bytes: number;
  /** `sha256:<hex>` of the body, when hashing was asked for. */
  digest?: string;
  ms: number;
  /** From the request to the body's first bytes. */
  firstByteMs?: number;
  /** With a ping first: from the client's first request (the ping) to the body's first bytes. */
  firstByteFromPingMs?: number;
}

interface DrainOptions {
  hash: boolean;
  started: number;
  /** Reads no faster than this, as a client on a slow link would. */
  bytesPerSecond?: number;
  /** Stops reading (and closes) after this long; the result then says how far it got. */
  stopAfterMs?: number;
}

async function drain(body: AsyncIterable<Buffer>, options: DrainOptions): Promise<{ bytes: number; digest?: string; firstByteMs?: number }> {
  const hasher = options.hash ? createHash('sha256') : undefined;
  let bytes = 0;
  let firstByteMs: number | undefined;
  for await (const chunk of body) {
    firstByteMs ??= performance.now() - options.started;
    bytes += chunk.length;
    hasher?.update(chunk);
    const elapsed = performance.now() - options.started;
    if (options.stopAfterMs !== undefined && elapsed > options.stopAfterMs) return { bytes, firstByteMs };
    if (options.bytesPerSecond !== undefined) {
      const due = (bytes / options.bytesPerSecond) * 1000 - elapsed;
      if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
    }
  }
  return { bytes, digest: hasher ? `sha256:${hasher.digest('hex')}` : undefined, firstByteMs };
}

/** GETs a URL and reads the whole body. */
export async function pull(
  dispatcher: Dispatcher,
  url: string,
  options: { hash?: boolean; headers?: Record<string, string>; bytesPerSecond?: number; stopAfterMs?: number } = {},
): Promise<PullResult> {
  const started = performance.now();
  const response = await request(url, { dispatcher, headers: options.headers });
  const read = await drain(response.body, { hash: options.hash ?? false, started, bytesPerSecond: options.bytesPerSecond, stopAfterMs: options.stopAfterMs });
  if (read.digest === undefined && options.hash) response.body.destroy();
  return { status: response.statusCode, ...read, ms: performance.now() - started };
}

function challengeParams(header: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const match of header.matchAll(/(\w+)="([^"]*)"/g)) params[match[1]!] = match[2]!;
  return params;
}

/**
 * Pulls a blob straight from the Hub stand-in the way a registry client does: 401 → token from
 * the realm → 307 → the CDN without Authorization. Only the final body is timed: the token and
 * redirect cost the same for a mirror, and the baseline should be the raw transfer.
 */
export async function pullDirect(dispatcher: Dispatcher, hubUrl: string, repository: string, digest: string): Promise<PullResult> {
  const blobUrl = `${hubUrl}/v2/${repository}/blobs/${digest}`;
  const first = await request(blobUrl, { dispatcher });
  await first.body.dump();
  const headers: Record<string, string> = {};
  if (first.statusCode === 401) {
    const challenge = challengeParams(String(first.headers['www-authenticate'] ?? ''));
    if (challenge.realm === undefined) throw new Error('The Hub stand-in asked for a token without naming a realm.');
    const tokenUrl = new URL(challenge.realm);
    if (challenge.service) tokenUrl.searchParams.set('service', challenge.service);
    if (challenge.scope) tokenUrl.searchParams.set('scope', challenge.scope);
    const tokenResponse = await request(tokenUrl, { dispatcher });
    const token = (await tokenResponse.body.json()) as { token?: string };
    if (!token.token) throw new Error(`The token realm answered ${tokenResponse.statusCode} without a token.`);
    headers.authorization = `Bearer ${token.token}`;
  }
  const started = performance.now();
  const second = await request(blobUrl, { dispatcher, headers });
  let response = second;
  if (second.statusCode === 307) {
    await second.body.dump();
    const location = second.headers.location;
    if (typeof location !== 'string') throw new Error('The Hub stand-in redirected without a Location.');
    response = await request(new URL(location, blobUrl), { dispatcher });
  }
  const read = await drain(response.body, { hash: true, started });
  return { status: response.statusCode, ...read, ms: performance.now() - started };
}

export interface LoopResult {
  requests: number;
  errors: number;
  /** The first few error descriptions, for the report. */
  errorSamples: string[];
  elapsedMs: number;
}

export interface LoopOptions {
  workers: number;
  durationMs: number;
  /** A hard cap on requests, so a runaway fast path still ends. */
  maxRequests: number;
  /**
   * One request; `n` is the global request number (picks the operation). Resolves when the body
   * is consumed; throws (or rejects) to count an error.
   */
  operation(n: number): Promise<void>;
}

/** Runs `workers` loops until the deadline or the cap; every request finishes before it resolves. */
export async function runLoop(options: LoopOptions): Promise<LoopResult> {
  const started = performance.now();
  const deadline = started + options.durationMs;
  let issued = 0;
  let errors = 0;
  const errorSamples: string[] = [];
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline && issued < options.maxRequests) {
      const n = issued++;
      try {
        await options.operation(n);
      } catch (error) {
        errors++;
        if (errorSamples.length < 5) errorSamples.push(error instanceof Error ? error.message : String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: options.workers }, () => worker()));
  return { requests: issued, errors, errorSamples, elapsedMs: performance.now() - started };
}

/** Fails the request unless it is a 200 whose body has the expected digest (when given). */
export async function expectBody(dispatcher: Dispatcher, url: string, expected: { digest?: string; headers?: Record<string, string> }): Promise<void> {
  const result = await pull(dispatcher, url, { hash: expected.digest !== undefined, headers: expected.headers });
  if (result.status !== 200) throw new Error(`GET ${new URL(url).pathname} answered ${result.status}`);
  if (expected.digest !== undefined && result.digest !== expected.digest) {
    throw new Error(`GET ${new URL(url).pathname} returned ${result.bytes} bytes that hash to ${result.digest}, not ${expected.digest}`);
  }
}

/**
 * Runs one pull in a child process (pull-child.ts) and returns what it measured. `caFile`: a CA
 * the child trusts, for a direct pull from an https upstream.
 */
export async function pullInChild(request: PullRequest, caFile?: string): Promise<PullResult> {
  const child = new URL('./pull-child.js', import.meta.url);
  try {
    const { stdout } = await execFileAsync(process.execPath, [fileURLToPath(child), JSON.stringify(request)], { maxBuffer: 1024 * 1024, env: nodeEnvTrusting(caFile) });
    return JSON.parse(stdout) as PullResult;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`the pull child failed: ${stderr || (error as Error).message}`);
  }
}

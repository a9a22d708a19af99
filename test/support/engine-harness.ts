// The engine against a real distribution behind the Docker Hub stand-in, over real HTTP, for
// the engine's test files: one upstream per file, a mirror per test, and counters of what
// reached the upstream, which is where a mirror earns its keep.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, type TestContext } from 'node:test';
import { createMirror, type MirrorEngine, type MirrorEvent, type MirrorOptions, type RequestEvent } from '../../mirror/index.js';
import { startTestUpstream, type TestUpstream } from './upstream.js';

export interface RunningMirror {
  engine: MirrorEngine;
  base: string;
  cacheDir: string;
  events: MirrorEvent[];
}

export interface EngineHarness {
  /** The file's upstream, started before its first test. */
  readonly upstream: TestUpstream;
  startMirror(t: TestContext, options?: Partial<MirrorOptions>, cacheDir?: string): Promise<RunningMirror>;
  /** Blob GETs of this digest that reached the stand-in. */
  blobGets(digest: string): number;
  /** Blob bytes of this digest the stand-in sent. */
  bytesSent(digest: string): number;
}

/** Registers the file's before/after hooks for one upstream and hands out mirrors against it. */
export function engineHarness(): EngineHarness {
  let started: TestUpstream | undefined;
  before(async () => {
    started = await startTestUpstream();
  });
  after(async () => {
    await started?.close();
  });
  const harness: EngineHarness = {
    get upstream(): TestUpstream {
      if (!started) throw new Error('the upstream starts in the before hook');
      return started;
    },
    async startMirror(t, options = {}, cacheDir) {
      const dir = cacheDir ?? (await mkdtemp(join(tmpdir(), 'dockmirror-engine-')));
      const engine = createMirror({ cacheDir: dir, upstream: harness.upstream.url, minFreeBytes: 0, ...options });
      const events: MirrorEvent[] = [];
      engine.subscribe((event) => events.push(event));
      const { port } = await engine.start({ host: '127.0.0.1', port: 0 });
      // One hook, in this order: a removal racing the engine's last record writes fails with ENOTEMPTY.
      t.after(async () => {
        await engine.stop();
        if (!cacheDir) await rm(dir, { recursive: true, force: true });
      });
      return { engine, base: `http://127.0.0.1:${port}`, cacheDir: dir, events };
    },
    blobGets: (digest) => harness.upstream.hub.stats().blobGets[digest] ?? 0,
    bytesSent: (digest) => harness.upstream.hub.stats().blobBytesSent[digest] ?? 0,
  };
  return harness;
}

export async function bytesOf(response: Response): Promise<Buffer> {
  return Buffer.from(await response.arrayBuffer());
}

export function requests(events: MirrorEvent[]): RequestEvent[] {
  return events.filter((e): e is RequestEvent => e.type === 'request');
}

export async function waitFor<T>(find: () => T | undefined, what: string, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

// The upstream-trust tests' shared setup: the Hub stand-in, a hostile front before it that
// answers chosen requests with redirects, bad bodies or stalls, and engines on fresh folders
// that stop, and forget the front's tricks, when their test ends.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, type TestContext } from 'node:test';
import { createMirror, type MirrorEngine, type MirrorEvent, type MirrorOptions } from '../../../mirror/index.js';
import { startHostileFront, type HostileFront } from '../../support/hostile-front.js';
import { startTestUpstream, type TestUpstream } from '../../support/upstream.js';

export interface HostileSetup {
  readonly upstream: TestUpstream;
  readonly front: HostileFront;
  freshDir(): Promise<string>;
  /** An engine whose upstream is the hostile front unless `options` says otherwise. */
  startMirror(t: TestContext, options?: Partial<MirrorOptions>): Promise<{ engine: MirrorEngine; base: string; events: MirrorEvent[] }>;
}

/** Registers the file's before/after hooks; the upstream and front exist once `before` has run. */
export function useHostileUpstream(): HostileSetup {
  let upstream: TestUpstream | undefined;
  let front: HostileFront | undefined;
  const dirs: string[] = [];
  before(async () => {
    upstream = await startTestUpstream();
    front = await startHostileFront(upstream.url);
  });
  after(async () => {
    await front?.stop();
    await upstream?.close();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the hostile upstream is used before its before() hook ran');
    return value;
  };
  const setup: HostileSetup = {
    get upstream() {
      return started(upstream);
    },
    get front() {
      return started(front);
    },
    async freshDir() {
      const dir = await mkdtemp(join(tmpdir(), 'dockmirror-trust-'));
      dirs.push(dir);
      return dir;
    },
    async startMirror(t, options = {}) {
      const engine = createMirror({ cacheDir: options.cacheDir ?? (await setup.freshDir()), upstream: setup.front.url, minFreeBytes: 0, ...options });
      const events: MirrorEvent[] = [];
      engine.subscribe((event) => events.push(event));
      const { port } = await engine.start({ host: '127.0.0.1', port: 0 });
      t.after(() => engine.stop());
      t.after(() => setup.front.clear());
      return { engine, base: `http://127.0.0.1:${port}`, events };
    },
  };
  return setup;
}

// An upstream that drips or stalls may not hold a client: manifests and tokens have an overall
// deadline (retries included), blobs a minimum-progress rule. The bounds are configured short
// (2 s, 1 s windows) so each case ends in seconds; with only the idle timeout each of them
// took minutes, as a byte every half second never looks idle.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { createMirror, type MirrorEngine, type MirrorOptions } from '../../../mirror/index.js';
import { startHostileFront, type HostileFront } from '../../support/hostile-front.js';
import { sha256 } from '../../support/images.js';
import { startTestUpstream, type TestUpstream } from '../../support/upstream.js';

let upstream: TestUpstream;
let front: HostileFront;
const dirs: string[] = [];
const deadlineMs = 2_000;
/** Well above the configured bounds and well below what the idle timeout alone took. */
const answeredWithinMs = 15_000;

before(async () => {
  // Blobs from the registry itself, so the front can drip their bodies.
  upstream = await startTestUpstream({ hub: { redirectBlobs: false } });
  front = await startHostileFront(upstream.url);
});

after(async () => {
  await front?.stop();
  await upstream?.close();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true, maxRetries: 3 });
});

async function startMirror(t: TestContext, timeouts: MirrorOptions['httpTimeouts'] = {}): Promise<{ engine: MirrorEngine; base: string }> {
  const cacheDir = await mkdtemp(join(tmpdir(), 'dockmirror-deadline-'));
  dirs.push(cacheDir);
  const engine = createMirror({ cacheDir, upstream: front.url, minFreeBytes: 0, httpTimeouts: { upstreamDeadlineMs: deadlineMs, ...timeouts } });
  const { port } = await engine.start({ host: '127.0.0.1', port: 0 });
  t.after(() => engine.stop());
  t.after(() => front.clear());
  return { engine, base: `http://127.0.0.1:${port}` };
}

/** Fetches and reads the whole answer; resolves with its status and body, or 'aborted' when the body was cut. */
async function timedFetch(url: string): Promise<{ status: number | 'aborted'; body: Buffer; elapsed: number }> {
  const started = Date.now();
  const response = await fetch(url, { signal: AbortSignal.timeout(40_000) });
  const body = await response.arrayBuffer().then(
    (bytes) => Buffer.from(bytes),
    () => null,
  );
  return { status: body === null ? 'aborted' : response.status, body: body ?? Buffer.alloc(0), elapsed: Date.now() - started };
}

function assertUnavailable(result: { status: number | 'aborted'; body: Buffer; elapsed: number }, message: RegExp): void {
  assert.ok(result.status === 503 || result.status === 504, `status ${result.status}`);
  const error = (JSON.parse(result.body.toString('utf8')) as { errors: { code: string; message: string }[] }).errors[0]!;
  assert.equal(error.code, 'UNAVAILABLE');
  assert.match(error.message, message);
  assert.ok(result.elapsed >= deadlineMs && result.elapsed < answeredWithinMs, `answered after ${result.elapsed} ms`);
}

test('a manifest dripped one byte every half second ends in 503 at the deadline', async (t) => {
  const { base } = await startMirror(t);
  front.when((method, path) => method === 'GET' && path.startsWith('/v2/library/alpine-test/manifests/'), { kind: 'drip', intervalMs: 500 });
  assertUnavailable(await timedFetch(`${base}/v2/alpine-test/manifests/latest`), /did not finish answering within 2 s/);
});

test('a token dripped one byte every half second ends in 503 at the deadline', async (t) => {
  const { base } = await startMirror(t);
  front.when((method, path) => path.startsWith('/token'), { kind: 'drip', intervalMs: 500 });
  assertUnavailable(await timedFetch(`${base}/v2/alpine-test/manifests/latest`), /token service .* did not finish answering within 2 s/);
});

test('a stalled upstream answers the client 503 at the deadline, not after three idle timeouts', async (t) => {
  // The idle timeout stays at its 30 s default: the deadline alone must end this.
  const { base } = await startMirror(t);
  front.when((method, path) => path.startsWith('/v2/library/alpine-test/manifests/'), { kind: 'stall' });
  assertUnavailable(await timedFetch(`${base}/v2/alpine-test/manifests/latest`), /did not finish answering within 2 s/);
});

test('a dripped blob is given up by the minimum-progress rule; a blob at full speed passes the same rule', async (t) => {
  const { base, engine } = await startMirror(t, { upstreamProgressWindowMs: 1_000, upstreamProgressMinBytes: 1024 });
  const dripped = upstream.images.alpine.layers[0]!;
  const fast = upstream.images.alpine.layers[1]!;
  front.when((method, path) => method === 'GET' && path.includes(`/blobs/${dripped.digest}`), { kind: 'drip', intervalMs: 500 });
  const result = await timedFetch(`${base}/v2/alpine-test/blobs/${dripped.digest}`);
  assert.ok(result.status !== 200, `the dripped blob came through whole (${result.body.length} bytes)`);
  assert.ok(result.elapsed < 2 * answeredWithinMs, `ended after ${result.elapsed} ms`);
  assert.equal(engine.status().cache.blobs, 0);
  const served = await timedFetch(`${base}/v2/alpine-test/blobs/${fast.digest}`);
  assert.equal(served.status, 200);
  assert.equal(sha256(served.body), fast.digest);
});

// Every registry through one mirror (issue 13): docker.io and "ghcr.io" from two real upstreams,
// chosen by containerd's ?ns= or by a /v2/<registry>/ path prefix; each upstream gets only its
// own requests; an unlisted or turned-off registry is a 404 that says where to turn it on and
// is never fetched; a traversal in a prefix is a 400; only upstream 429s raise a rate-limit problem.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { createMirror, type MirrorEngine, type MirrorOptions } from '../../mirror/index.js';
import { repositoriesSeen, startSecondUpstream, type SecondUpstream } from '../support/second-upstream.js';
import { startTestUpstream, type TestUpstream } from '../support/upstream.js';

let hub: TestUpstream;
let ghcr: SecondUpstream;
const dirs: string[] = [];

before(async () => {
  [hub, ghcr] = await Promise.all([startTestUpstream(), startSecondUpstream()]);
});

after(async () => {
  await ghcr?.close();
  await hub?.close();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true, maxRetries: 3 });
});

async function startMirror(t: TestContext, options: Partial<MirrorOptions> = {}): Promise<{ engine: MirrorEngine; base: string }> {
  const cacheDir = await mkdtemp(join(tmpdir(), 'dockmirror-registries-'));
  dirs.push(cacheDir);
  const engine = createMirror({ cacheDir, upstream: hub.url, registries: [{ name: 'ghcr.io', upstream: ghcr.url }], minFreeBytes: 0, ...options });
  const { port } = await engine.start({ host: '127.0.0.1', port: 0 });
  t.after(() => engine.stop());
  return { engine, base: `http://127.0.0.1:${port}` };
}

async function ociError(response: Response): Promise<{ code: string; message: string }> {
  return ((await response.json()) as { errors: { code: string; message: string }[] }).errors[0]!;
}

const sha256 = (bytes: ArrayBuffer): string => `sha256:${createHash('sha256').update(Buffer.from(bytes)).digest('hex')}`;

test('ns= and a path prefix pick the registry; each upstream gets only its own requests', async (t) => {
  const { engine, base } = await startMirror(t);
  hub.hub.resetStats();
  ghcr.hub.resetStats();
  const app = ghcr.image;
  const byNs = await fetch(`${base}/v2/${app.repository}/manifests/${app.tag}?ns=ghcr.io`);
  assert.equal(byNs.status, 200);
  assert.equal(sha256(await byNs.arrayBuffer()), app.digest);
  const layer = app.layers[0]!;
  const byPrefix = await fetch(`${base}/v2/ghcr.io/${app.repository}/blobs/${layer.digest}`);
  assert.equal(byPrefix.status, 200);
  assert.equal(sha256(await byPrefix.arrayBuffer()), layer.digest);
  const again = await fetch(`${base}/v2/ghcr.io/${app.repository}/manifests/${app.tag}`);
  assert.equal(again.headers.get('docker-content-digest'), app.digest);
  await again.arrayBuffer();

  const alpine = hub.images.alpine;
  for (const path of ['/v2/alpine-test/manifests/latest', '/v2/alpine-test/manifests/latest?ns=docker.io', '/v2/docker.io/alpine-test/manifests/latest', '/v2/docker.io/library/alpine-test/manifests/latest']) {
    const response = await fetch(`${base}${path}`);
    assert.equal(response.status, 200, path);
    assert.equal(response.headers.get('docker-content-digest'), alpine.digest, path);
    await response.arrayBuffer();
  }
  // One store, two upstreams: a ghcr.io name is never asked of Docker Hub, nor the reverse.
  assert.deepEqual([...repositoriesSeen(ghcr.hub)], ['owner/app']);
  assert.deepEqual([...repositoriesSeen(hub.hub)], ['library/alpine-test']);
  // Each upstream's realm issued its own tokens, for its own repositories only.
  assert.ok(ghcr.hub.stats().tokenRequests.every((r) => r.scopes.every((s) => s.includes('owner/app'))));
  assert.ok(hub.hub.stats().tokenRequests.every((r) => r.scopes.every((s) => s.includes('library/alpine-test'))));
  const listed = await engine.listCache();
  assert.deepEqual(listed.map((r) => `${r.registry}/${r.repository}`).sort(), ['docker.io/library/alpine-test', 'ghcr.io/owner/app']);
  const states = engine.status().registries;
  assert.equal(states.find((r) => r.name === 'ghcr.io')?.reachable, true);
  assert.equal(states.find((r) => r.name === 'ghcr.io')?.upstreamPulls, 1);
  assert.equal(states.find((r) => r.name === 'docker.io')?.upstreamPulls, 1);
  assert.equal(states.find((r) => r.name === 'quay.io')?.reachable, null, 'a built-in registry nobody asked for was never contacted');
});

test('an unlisted or turned-off registry is a 404 naming it and where to turn it on, and is never fetched', async (t) => {
  const { base } = await startMirror(t, { registries: [{ name: 'ghcr.io', upstream: ghcr.url, enabled: false }] });
  hub.hub.resetStats();
  ghcr.hub.resetStats();
  const cases: [string, RegExp][] = [
    ['/v2/owner/app/manifests/1?ns=ghcr.io', /the registry ghcr\.io is turned off on this mirror; turn it on in Settings → Registries/],
    ['/v2/ghcr.io/owner/app/manifests/1', /the registry ghcr\.io is turned off/],
    ['/v2/owner/app/manifests/1?ns=registry.example.com', /does not serve the registry registry\.example\.com; add it in Settings → Registries \(or start it with --registry registry\.example\.com=/],
    [`/v2/127.0.0.1:${new URL(hub.url).port}/library/alpine-test/manifests/latest`, /does not serve the registry 127\.0\.0\.1:\d+/],
    ['/v2/localhost/x/manifests/1', /does not serve the registry localhost/],
    ['/v2/?ns=registry.example.com', /does not serve the registry registry\.example\.com/],
  ];
  for (const [path, sentence] of cases) {
    const response = await fetch(`${base}${path}`);
    assert.equal(response.status, 404, path);
    const error = await ociError(response);
    assert.equal(error.code, 'NAME_UNKNOWN', path);
    assert.match(error.message, sentence, path);
  }
  assert.equal(hub.hub.stats().requests.length, 0, 'Docker Hub was not asked');
  assert.equal(ghcr.hub.stats().requests.length, 0, 'the turned-off registry was not asked');
});

test('a traversal or a malformed registry in a prefix is a 400', async (t) => {
  const { base } = await startMirror(t);
  for (const path of ['/v2/ghcr.io/../owner/app/manifests/1', '/v2/../ghcr.io/owner/app/manifests/1', '/v2/..ghcr.io/owner/app/manifests/1', '/v2/ghcr..io/owner/app/manifests/1', '/v2/-x.io/a/manifests/1', '/v2/ghcr.io%2f../a/manifests/1']) {
    const response = await rawGet(base, path);
    assert.equal(response.status, 400, path);
    assert.match(response.body, /"code":"NAME_INVALID"/, path);
  }
});

test("the mirror's own 429 (connection cap) raises no rate-limit problem; an upstream 429 raises one for that registry", async (t) => {
  const { engine, base } = await startMirror(t, { connectionLimits: { perClient: 1 }, tagTtlMs: 1 });
  const held = request(`${base}/v2/`, { method: 'GET', agent: false, headers: { connection: 'keep-alive' } });
  held.end();
  const first = await new Promise<import('node:http').IncomingMessage>((resolve) => held.once('response', resolve));
  first.resume();
  t.after(() => held.destroy());
  const refused = await rawGet(base, '/v2/alpine-test/manifests/latest');
  assert.equal(refused.status, 429);
  assert.ok(!engine.status().problems.some((p) => p.code === 'rate-limited'), JSON.stringify(engine.status().problems));
  held.destroy();
  // The cap counts open sockets: wait until the held one is gone before asking again.
  for (let i = 0; i < 100 && (await rawGet(base, '/v2/')).status === 429; i++) await new Promise((resolve) => setTimeout(resolve, 20));

  ghcr.hub.injectManifestFault('owner/app', { kind: 'status', status: 429 }, 1);
  t.after(() => ghcr.hub.clearFaults());
  const limited = await fetch(`${base}/v2/owner/app/manifests/1?ns=ghcr.io`, { headers: { connection: 'close' } });
  assert.equal(limited.status, 429);
  // The client is told whose limit it hit: ghcr.io's, never Docker Hub's.
  const told = ((await limited.json()) as { errors: { message: string }[] }).errors[0]!.message;
  assert.match(told, /the ghcr\.io pull rate limit was reached/);
  assert.doesNotMatch(told, /Docker Hub/);
  const problem = engine.status().problems.find((p) => p.code === 'rate-limited');
  assert.equal(problem?.registry, 'ghcr.io');
  assert.match(problem?.message ?? '', /ghcr\.io answers "too many requests"/);
  assert.ok(engine.status().registries.find((r) => r.name === 'ghcr.io')?.throttled);
  assert.equal(engine.status().registries.find((r) => r.name === 'docker.io')?.throttled, null);
});

/** A GET with the path exactly as written (fetch would resolve `..`). */
function rawGet(base: string, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: 'GET', agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

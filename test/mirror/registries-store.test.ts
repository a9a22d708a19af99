// The store keys records by the registry's name (docker.io), never by its upstream: a cache made
// when records lived under the upstream's host:port is adopted in place on start, the cache
// survives pointing docker.io at another upstream, and the last "is it public?" answer outlives
// a restart with the upstream down.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { createMirror, type MirrorEngine, type MirrorOptions } from '../../mirror/index.js';
import { DEFAULT_HUB_USER } from '../support/hub.js';
import { startTestUpstream, type TestUpstream } from '../support/upstream.js';

let upstream: TestUpstream;
const dirs: string[] = [];
const owner = { username: DEFAULT_HUB_USER.username, secret: DEFAULT_HUB_USER.password };
const clientAuth = { username: 'lan', password: 'mirror-pw' };
const lanLogin = { authorization: `Basic ${Buffer.from('lan:mirror-pw').toString('base64')}` };

before(async () => {
  upstream = await startTestUpstream();
});

after(async () => {
  await upstream?.hub.setDown(false);
  await upstream?.close();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true, maxRetries: 3 });
});

async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dockmirror-registry-store-'));
  dirs.push(dir);
  return dir;
}

async function startMirror(t: TestContext, options: Partial<MirrorOptions> & { cacheDir: string }): Promise<{ engine: MirrorEngine; base: string }> {
  const engine = createMirror({ upstream: upstream.url, minFreeBytes: 0, defaultRegistries: false, ...options });
  const { port } = await engine.start({ host: '127.0.0.1', port: 0 });
  t.after(() => engine.stop());
  return { engine, base: `http://127.0.0.1:${port}` };
}

async function pull(base: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; bytes: Buffer }> {
  const response = await fetch(`${base}${path}`, { headers });
  return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()) };
}

async function whileDown(t: TestContext): Promise<void> {
  await upstream.hub.setDown('refuse');
  t.after(() => upstream.hub.setDown(false));
}

/** "Last pulled" is written after the answer; wait for it, so no write lands after the folders are rearranged. */
async function lastPulledWritten(cacheDir: string, repository: string, tag: string): Promise<void> {
  const file = join(cacheDir, 'registries', 'docker.io', ...repository.split('/'), '_tags', `${tag}.json`);
  for (let i = 0; i < 200; i++) {
    const record = JSON.parse(await readFile(file, 'utf8').catch(() => '{}')) as { lastPulled?: number | null };
    if (typeof record.lastPulled === 'number') return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`no lastPulled in ${file}`);
}

/** The folder an older Dockmirror kept this upstream's records under: its host:port, `:` made `_`. */
const legacyKey = (): string => `127.0.0.1_${new URL(upstream.url).port}`;

test('a cache whose records live under the upstream host:port (the old layout) is adopted in place and serves with the upstream down', async (t) => {
  const cacheDir = await freshDir();
  const { alpine } = upstream.images;
  const filler = await startMirror(t, { cacheDir });
  assert.equal((await pull(filler.base, '/v2/alpine-test/manifests/latest')).status, 200);
  await lastPulledWritten(cacheDir, 'library/alpine-test', 'latest');
  await filler.engine.stop();
  // Exactly what the single-upstream layout wrote: registries/<upstream host_port>/<repository>/…,
  // plus a foreign file in it that must survive the move.
  await rename(join(cacheDir, 'registries', 'docker.io'), join(cacheDir, 'registries', legacyKey()));
  await writeFile(join(cacheDir, 'registries', legacyKey(), 'notes.txt'), 'somebody else');

  await whileDown(t);
  const { base, engine } = await startMirror(t, { cacheDir, tagTtlMs: 1 });
  const stale = await pull(base, '/v2/alpine-test/manifests/latest');
  assert.equal(stale.status, 200, 'the tag record was found under docker.io');
  assert.deepEqual(stale.bytes, alpine.bytes);
  assert.deepEqual((await readdir(join(cacheDir, 'registries'))).sort(), ['docker.io']);
  assert.ok((await readdir(join(cacheDir, 'registries', 'docker.io'))).includes('notes.txt'), 'a foreign file moves along, never deleted');
  assert.deepEqual((await engine.listCache()).map((r) => `${r.registry}/${r.repository}`), ['docker.io/library/alpine-test']);
});

test('when both folders exist, the old records merge in and none the new folder holds is overwritten', async (t) => {
  const cacheDir = await freshDir();
  const filler = await startMirror(t, { cacheDir });
  for (const path of ['/v2/alpine-test/manifests/latest', '/v2/dockmirror/shared-a/manifests/1']) assert.equal((await pull(filler.base, path)).status, 200);
  await lastPulledWritten(cacheDir, 'library/alpine-test', 'latest');
  await lastPulledWritten(cacheDir, 'dockmirror/shared-a', '1');
  await filler.engine.stop();
  const legacy = join(cacheDir, 'registries', legacyKey());
  await mkdir(join(legacy, 'dockmirror'), { recursive: true });
  await rename(join(cacheDir, 'registries', 'docker.io', 'dockmirror', 'shared-a'), join(legacy, 'dockmirror', 'shared-a'));
  const newTag = join(cacheDir, 'registries', 'docker.io', 'library', 'alpine-test', '_tags', 'latest.json');
  await mkdir(join(legacy, 'library', 'alpine-test', '_tags'), { recursive: true });
  await writeFile(join(legacy, 'library', 'alpine-test', '_tags', 'latest.json'), '{"digest":"old"}');

  await whileDown(t);
  const { base } = await startMirror(t, { cacheDir, tagTtlMs: 1 });
  assert.equal((await pull(base, '/v2/dockmirror/shared-a/manifests/1')).status, 200, 'moved from the old folder');
  const latest = await pull(base, '/v2/alpine-test/manifests/latest');
  assert.deepEqual(latest.bytes, upstream.images.alpine.bytes, `the new record won: ${newTag}`);
  assert.deepEqual(await readdir(join(legacy, 'library', 'alpine-test', '_tags')), ['latest.json'], 'the old record the new folder already had stays where it was');
});

test('the cache survives pointing docker.io at another upstream: tags are served stale while that upstream is down', async (t) => {
  const cacheDir = await freshDir();
  const filler = await startMirror(t, { cacheDir });
  assert.equal((await pull(filler.base, '/v2/alpine-test/manifests/latest')).status, 200);
  await filler.engine.stop();
  // A team mirror that is down: nothing listens on port 9 of loopback.
  const { base, engine } = await startMirror(t, { cacheDir, tagTtlMs: 1, upstream: 'http://127.0.0.1:9' });
  const stale = await fetch(`${base}/v2/alpine-test/manifests/latest`);
  assert.equal(stale.status, 200);
  assert.deepEqual(Buffer.from(await stale.arrayBuffer()), upstream.images.alpine.bytes);
  const state = engine.status().registries.find((r) => r.name === 'docker.io')!;
  assert.equal(state.upstream, 'http://127.0.0.1:9');
  assert.equal(state.reachable, false);
  assert.match(state.lastError ?? '', /127\.0\.0\.1:9 cannot be reached/);
});

test('after a restart with the upstream down, anonymous clients still get a cached public image and still not a cached private one', async (t) => {
  const cacheDir = await freshDir();
  const credentials = { get: async () => owner };
  const { alpine } = upstream.images;
  const filled = await startMirror(t, { cacheDir, credentials, clientAuth });
  for (const path of ['/v2/alpine-test/manifests/latest', '/v2/dockmirror/private-test/manifests/1']) assert.equal((await pull(filled.base, path, lanLogin)).status, 200);
  await filled.engine.stop();
  // Anonymous clients while the upstream answers: the mirror learns which is public.
  const open = await startMirror(t, { cacheDir, credentials, tagTtlMs: 1 });
  assert.equal((await pull(open.base, '/v2/alpine-test/manifests/latest')).status, 200);
  assert.equal((await pull(open.base, '/v2/dockmirror/private-test/manifests/1')).status, 403);
  await open.engine.stop();

  await whileDown(t);
  const restarted = await startMirror(t, { cacheDir, credentials, tagTtlMs: 1 });
  const publicImage = await pull(restarted.base, '/v2/alpine-test/manifests/latest');
  assert.equal(publicImage.status, 200, 'last known public: served from the cache');
  assert.deepEqual(publicImage.bytes, alpine.bytes);
  assert.equal((await pull(restarted.base, '/v2/dockmirror/private-test/manifests/1')).status, 403, 'last known private: still refused');
});

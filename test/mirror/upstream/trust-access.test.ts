// With Docker Hub credentials set, the mirror asks upstream whether a repository is public
// before serving it to a client that did not log in. That question may never make cached
// content unservable, a 429 may not turn a public repository private, a missing repository is
// 404 (not "private"), and a rejected owner token is the owner's problem, told in the app.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { AccessPolicy } from '../../../mirror/access-policy.js';
import { type MirrorEngine, type MirrorOptions } from '../../../mirror/index.js';
import { UpstreamClient } from '../../../mirror/upstream/client.js';
import { DEFAULT_HUB_USER } from '../../support/hub.js';
import { useHostileUpstream } from './hostile-setup.js';

const setup = useHostileUpstream();
const owner = { username: DEFAULT_HUB_USER.username, secret: DEFAULT_HUB_USER.password };
const credentials = { get: async () => owner };
const clientAuth = { username: 'lan', password: 'mirror-pw' };
const lanLogin = { authorization: `Basic ${Buffer.from('lan:mirror-pw').toString('base64')}` };

/** With the owner's Docker Hub credentials, straight to the stand-in unless told otherwise. */
function startMirror(t: TestContext, options: Partial<MirrorOptions> = {}): Promise<{ engine: MirrorEngine; base: string }> {
  return setup.startMirror(t, { upstream: setup.upstream.url, credentials, ...options });
}

async function ociError(response: Response): Promise<{ code: string; message: string }> {
  assert.match(response.headers.get('content-type') ?? '', /application\/json/);
  return ((await response.json()) as { errors: { code: string; message: string }[] }).errors[0]!;
}

test('one anonymous 429 does not make a public repository private: the next request is served', async (t) => {
  const { base } = await startMirror(t, { upstream: setup.front.url });
  t.after(() => setup.front.clear());
  setup.front.when((method, path) => path.startsWith('/v2/library/alpine-test/tags/list'), { kind: 'replace', status: 429, headers: { 'retry-after': '60' } }, 1);
  const first = await fetch(`${base}/v2/alpine-test/manifests/latest`);
  assert.equal(first.status, 503, 'never asked before: anonymous clients wait until the upstream can tell');
  assert.match((await ociError(first)).message, /cannot tell whether library\/alpine-test is public/);
  const second = await fetch(`${base}/v2/alpine-test/manifests/latest`);
  assert.equal(second.status, 200);
  assert.deepEqual(Buffer.from(await second.arrayBuffer()), setup.upstream.images.alpine.bytes);
});

test('a repository that exists nowhere is 404 NAME_UNKNOWN, a private one still 403 to anonymous clients', async (t) => {
  const { base } = await startMirror(t);
  const missing = await fetch(`${base}/v2/dockmirror/no-such-repository/manifests/latest`);
  assert.equal(missing.status, 404);
  assert.equal((await ociError(missing)).code, 'NAME_UNKNOWN');
  const hidden = await fetch(`${base}/v2/dockmirror/private-test/manifests/1`);
  assert.equal(hidden.status, 403);
  assert.equal((await ociError(hidden)).code, 'DENIED');
});

test('upstream down: cached public images go to anonymous clients, everything cached to clients that log in, and /healthz says degraded', async (t) => {
  const cacheDir = await setup.freshDir();
  const { alpine, privateImage } = setup.upstream.images;
  const filled = await startMirror(t, { cacheDir, tagTtlMs: 1, registryName: 'docker.io', clientAuth });
  for (const path of ['/v2/alpine-test/manifests/latest', '/v2/dockmirror/private-test/manifests/1']) {
    assert.equal((await fetch(`${filled.base}${path}`, { headers: lanLogin }).then(async (r) => (await r.arrayBuffer(), r.status))), 200);
  }
  await filled.engine.stop();

  // Anonymous clients: the same cache, no mirror login; publicity learned while the upstream is up.
  const open = await startMirror(t, { cacheDir, tagTtlMs: 1, registryName: 'docker.io' });
  assert.equal((await fetch(`${open.base}/v2/alpine-test/manifests/latest`)).status, 200);
  await setup.upstream.hub.setDown('refuse');
  t.after(() => setup.upstream.hub.setDown(false));
  const stale = await fetch(`${open.base}/v2/alpine-test/manifests/latest`);
  assert.equal(stale.status, 200);
  assert.deepEqual(Buffer.from(await stale.arrayBuffer()), alpine.bytes);
  const health = await fetch(`${open.base}/healthz`);
  assert.equal(health.status, 200);
  const report = (await health.json()) as { status: string; problems: { code: string }[] };
  assert.equal(report.status, 'degraded');
  assert.ok(report.problems.some((p) => p.code === 'upstream-unreachable'), JSON.stringify(report));
  // Never answered for since this mirror started: refused to anonymous clients, with the reason.
  const unknown = await fetch(`${open.base}/v2/dockmirror/private-test/manifests/1`);
  assert.equal(unknown.status, 503);
  assert.match((await ociError(unknown)).message, /cannot tell whether dockmirror\/private-test is public/);

  const guarded = await startMirror(t, { cacheDir, tagTtlMs: 1, registryName: 'docker.io', clientAuth });
  for (const [path, bytes] of [['/v2/alpine-test/manifests/latest', alpine.bytes], ['/v2/dockmirror/private-test/manifests/1', privateImage.bytes]] as const) {
    const response = await fetch(`${guarded.base}${path}`, { headers: lanLogin });
    assert.equal(response.status, 200, path);
    assert.deepEqual(Buffer.from(await response.arrayBuffer()), bytes);
  }
});

test('the last definite answer stands while the upstream cannot be asked, however old it is', async (t) => {
  let now = Date.parse('2030-01-01T00:00:00Z');
  const anonymousUpstream = new UpstreamClient({ baseUrl: new URL(setup.upstream.url), retryDelaysMs: [] });
  const ownerUpstream = new UpstreamClient({ baseUrl: new URL(setup.upstream.url), credentials, retryDelaysMs: [] });
  t.after(() => Promise.all([anonymousUpstream.close(), ownerUpstream.close()]));
  const policy = new AccessPolicy({ hasUpstreamCredentials: async () => true, anonymousUpstream, ownerUpstream, now: () => now });
  await policy.assertMayPull('library/alpine-test');
  await assert.rejects(policy.assertMayPull('dockmirror/private-test'), { code: 'DENIED' });
  await setup.upstream.hub.setDown('reset');
  t.after(() => setup.upstream.hub.setDown(false));
  now += 11 * 60_000;
  await policy.assertMayPull('library/alpine-test');
  await assert.rejects(policy.assertMayPull('dockmirror/private-test'), { code: 'DENIED' });
  await assert.rejects(policy.assertMayPull('dockmirror/shared-a'), { code: 'UNAVAILABLE', status: 503 });
});

test("a rejected owner token is a health problem for the owner; LAN clients get 503 without the account's name", async (t) => {
  const wrong = { get: async () => ({ username: DEFAULT_HUB_USER.username, secret: 'revoked-token' }) };
  const { engine, base } = await startMirror(t, { credentials: wrong });
  const rejections = (): number => setup.upstream.hub.stats().tokenRequests.filter((r) => r.username === DEFAULT_HUB_USER.username && r.status === 401).length;
  const before = rejections();
  const response = await fetch(`${base}/v2/${setup.upstream.images.sharedB.repository}/manifests/1`);
  assert.equal(response.status, 503);
  const again = await fetch(`${base}/v2/${setup.upstream.images.sharedA.repository}/manifests/1`);
  assert.equal(again.status, 503);
  await again.arrayBuffer();
  assert.equal(rejections() - before, 1, 'rejected credentials were tried again at once: each try is a failed login on the account');
  const error = await ociError(response);
  assert.match(error.message, /rejected the credentials this mirror is set up with/);
  assert.ok(!error.message.includes(DEFAULT_HUB_USER.username), error.message);
  const problem = engine.status().problems.find((p) => p.code === 'upstream-credentials');
  assert.match(problem?.message ?? '', new RegExp(`rejected the credentials of ${DEFAULT_HUB_USER.username}`));
});

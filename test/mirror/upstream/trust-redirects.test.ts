// Where an upstream may send the mirror. A hostile front stands in for an upstream that points
// the mirror's requests elsewhere: at the mirror's own /metrics, at another loopback service over
// plain http, at a token realm that is not its own. None of it may be followed, served, cached,
// or given the owner's credentials.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testUpstreamCredentials } from '../../../mirror/index.js';
import { startRecorder } from '../../support/hostile-front.js';
import { DEFAULT_HUB_USER, startHub } from '../../support/hub.js';
import { sha256 } from '../../support/images.js';
import { useHostileUpstream } from './hostile-setup.js';

const setup = useHostileUpstream();
const clientAuth = { username: 'lan', password: 'mirror-pw' };
const lanLogin = `Basic ${Buffer.from('lan:mirror-pw').toString('base64')}`;
const credentials = { get: async () => ({ username: DEFAULT_HUB_USER.username, secret: DEFAULT_HUB_USER.password }) };

async function ociError(response: Response): Promise<{ code: string; message: string }> {
  assert.match(response.headers.get('content-type') ?? '', /application\/json/);
  return ((await response.json()) as { errors: { code: string; message: string }[] }).errors[0]!;
}

const manifestGet = (repository: string) => (method: string, path: string) => method === 'GET' && path.startsWith(`/v2/${repository}/manifests/`);

test("a manifest GET redirected to the mirror's own /metrics is refused with 502, and nothing is served or cached", async (t) => {
  const { engine, base, events } = await setup.startMirror(t);
  setup.front.when(manifestGet('library/alpine-test'), { kind: 'redirect', location: `${base}/metrics` });
  const response = await fetch(`${base}/v2/alpine-test/manifests/latest`);
  assert.equal(response.status, 502);
  const error = await ociError(response);
  assert.match(error.message, /does not follow/);
  assert.doesNotMatch(error.message, /dockmirror_/);
  assert.equal(events.filter((e) => e.type === 'request' && e.kind === 'metrics').length, 0, 'the mirror asked itself for /metrics');
  assert.deepEqual(await engine.listCache(), []);
  assert.equal(engine.status().cache.blobs, 0);
});

test('a manifest GET redirected over plain http to another loopback origin is not followed, even to a perfect manifest', async (t) => {
  const { alpine } = setup.upstream.images;
  // The recorder answers with the real manifest, so only the redirect rule can refuse it.
  const recorder = await startRecorder({ headers: { 'content-type': alpine.mediaType, 'docker-content-digest': alpine.digest }, body: alpine.bytes });
  t.after(() => recorder.close());
  const { engine, base } = await setup.startMirror(t);
  setup.front.when(manifestGet('library/alpine-test'), { kind: 'redirect', location: `${recorder.url}/admin/manifest` });
  const response = await fetch(`${base}/v2/alpine-test/manifests/latest`);
  assert.equal(response.status, 502);
  assert.match((await ociError(response)).message, /plain http on another origin/);
  assert.deepEqual(recorder.seen, [], 'the mirror reached the other loopback service');
  assert.deepEqual(await engine.listCache(), []);
});

test("a blob redirected to the mirror's own address is refused; the CDN's redirect still works", async (t) => {
  const { base, events } = await setup.startMirror(t);
  const layer = setup.upstream.images.alpine.layers[0]!;
  setup.front.when((method, path) => path.includes(`/blobs/${layer.digest}`), { kind: 'redirect', location: `${base}/metrics` });
  const refused = await fetch(`${base}/v2/alpine-test/blobs/${layer.digest}`);
  assert.equal(refused.status, 502);
  assert.match((await ociError(refused)).message, /the mirror itself/);
  assert.equal(events.filter((e) => e.type === 'request' && e.kind === 'metrics').length, 0);
  setup.front.clear();
  const other = setup.upstream.images.alpine.layers[1]!;
  const served = await fetch(`${base}/v2/alpine-test/blobs/${other.digest}`);
  assert.equal(served.status, 200);
  assert.equal(sha256(Buffer.from(await served.arrayBuffer())), other.digest);
});

test('credentials never go over plain http to a token realm on another origin; pulls go on anonymously and the owner is told', async (t) => {
  const hub = await startHub({ registryUrl: setup.upstream.registry.url, realm: 'own-server' });
  t.after(() => hub.stop());
  const { engine, base } = await setup.startMirror(t, { upstream: hub.url, credentials });
  const response = await fetch(`${base}/v2/alpine-test/manifests/latest`);
  assert.equal(response.status, 200);
  assert.deepEqual(Buffer.from(await response.arrayBuffer()), setup.upstream.images.alpine.bytes);
  const seen = hub.stats().requests;
  assert.ok(seen.some((r) => r.server === 'auth'), 'tokens came from the realm');
  assert.deepEqual(seen.filter((r) => r.authorization !== 'none' && r.server === 'auth'), [], 'credentials reached a plain-http realm on another origin');
  const problem = engine.status().problems.find((p) => p.code === 'upstream-credentials');
  assert.match(problem?.message ?? '', /not sent to the upstream's token service 127\.0\.0\.1:\d+: it is plain http/);
  // "Test credentials" in the app must not report the anonymous limit as the account's.
  await assert.rejects(testUpstreamCredentials(hub.url, await credentials.get(), 'library/alpine-test'), /credentials were not sent/);
  assert.deepEqual(hub.stats().requests.filter((r) => r.authorization === 'basic'), []);
});

test('a challenge from a host the upstream redirected to never gets the credentials', async (t) => {
  // The blob's "CDN" asks for a token at its own realm, as a trap for the owner's credentials.
  const trap = await startRecorder({ status: 401 });
  t.after(() => trap.close());
  trap.headers['www-authenticate'] = `Bearer realm="${trap.url}/token",service="trap"`;
  const { base } = await setup.startMirror(t, { credentials, clientAuth });
  const layer = setup.upstream.images.sharedA.layers[0]!;
  setup.front.when((method, path) => path.includes(`/blobs/${layer.digest}`), { kind: 'redirect', location: `${trap.url}/blob` });
  const response = await fetch(`${base}/v2/${setup.upstream.images.sharedA.repository}/blobs/${layer.digest}`, { headers: { authorization: lanLogin } });
  assert.ok(response.status >= 400, `status ${response.status}`);
  await response.arrayBuffer();
  assert.ok(trap.seen.length >= 1, 'the blob redirect to a loopback CDN was followed');
  assert.deepEqual(trap.seen.filter((r) => r.authorization !== undefined), [], 'the trap got an Authorization header');
});

test('a token realm that redirects elsewhere gets no credentials on the way', async (t) => {
  const trap = await startRecorder({ body: Buffer.from('{"token":"trap-token"}') });
  t.after(() => trap.close());
  const { base } = await setup.startMirror(t, { credentials, clientAuth });
  setup.front.when((method, path) => path.startsWith('/token'), { kind: 'redirect', location: `${trap.url}/token` });
  const response = await fetch(`${base}/v2/${setup.upstream.images.sharedB.repository}/manifests/1`, { headers: { authorization: lanLogin } });
  assert.ok(response.status === 502 || response.status === 503, `status ${response.status}`);
  assert.match((await ociError(response)).message, /redirected to a place the mirror does not follow/);
  assert.deepEqual(trap.seen, [], 'the realm redirect to plain http elsewhere was followed');
  assert.ok(setup.front.seen.some((r) => r.url.startsWith('/token') && r.authorization?.startsWith('Basic ')), 'the credentials did go to the upstream origin realm');
});

test("a challenge naming the mirror's own /metrics as token realm is not asked", async (t) => {
  const { base, events } = await setup.startMirror(t);
  setup.front.when((method, path, authorization) => authorization === undefined && path.startsWith('/v2/library/alpine-test/'), {
    kind: 'replace',
    status: 401,
    headers: { 'www-authenticate': `Bearer realm="${base}/metrics",service="registry.docker.io"` },
  });
  const response = await fetch(`${base}/v2/alpine-test/manifests/latest`);
  assert.ok(response.status === 502 || response.status === 503, `status ${response.status}`);
  assert.match((await ociError(response)).message, /the mirror itself/);
  assert.equal(events.filter((e) => e.type === 'request' && e.kind === 'metrics').length, 0, 'the mirror asked itself for /metrics');
});

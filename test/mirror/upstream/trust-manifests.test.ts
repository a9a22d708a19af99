// What the upstream sends as a manifest is checked before it is stored or served: a manifest
// media type in Content-Type, JSON of that type, and the digest the upstream claims and the
// client asked for. Anything else is a 502 with OCI JSON, and the cache stays empty.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { type FrontAction } from '../../support/hostile-front.js';
import { useHostileUpstream } from './hostile-setup.js';

const setup = useHostileUpstream();

/** Asks for the manifest with the front answering `action`, and checks it is a 502 that stored nothing. */
async function refused(t: TestContext, path: string, action: FrontAction, message: RegExp): Promise<void> {
  const { engine, base } = await setup.startMirror(t);
  // The mirror asks for library/alpine-test when a client names alpine-test.
  const repository = /^\/v2\/(.+)\/manifests\//.exec(path)![1]!;
  setup.front.when((method, seen) => method === 'GET' && seen.startsWith(`/v2/library/${repository}/manifests/`), action);
  const response = await fetch(`${base}${path}`);
  assert.equal(response.status, 502);
  assert.match(response.headers.get('content-type') ?? '', /application\/json/);
  const error = ((await response.json()) as { errors: { code: string; message: string }[] }).errors[0]!;
  assert.match(error.message, message);
  assert.deepEqual(await engine.listCache(), [], 'something was cached');
  assert.equal(engine.status().cache.blobs, 0, 'something was stored');
}

test('a body that is the manifest but labelled text/html is refused', async (t) => {
  await refused(t, '/v2/alpine-test/manifests/latest', { kind: 'rewrite', headers: { 'content-type': 'text/html' } }, /Content-Type text\/html, which is not a manifest/);
});

test('a manifest Content-Type on a body that is not JSON is refused', async (t) => {
  const body = Buffer.from('# HELP dockmirror_requests_total\ndockmirror_requests_total 3\n');
  await refused(t, '/v2/alpine-test/manifests/latest', { kind: 'rewrite', body, headers: { 'docker-content-digest': '' } }, /is not JSON/);
});

test('JSON that is not a manifest of its media type is refused', async (t) => {
  const body = Buffer.from('{"recorded":true}');
  await refused(t, '/v2/alpine-test/manifests/latest', { kind: 'rewrite', body, headers: { 'docker-content-digest': '' } }, /is not a application\/vnd\.docker\.distribution\.manifest\.v2\+json manifest/);
});

test('a manifest that does not match Docker-Content-Digest is a 502, not a 400', async (t) => {
  // Another image's real manifest, under the tag's own digest header.
  const other = setup.upstream.images.sharedA;
  await refused(t, '/v2/alpine-test/manifests/latest', { kind: 'rewrite', body: other.bytes }, /does not match Docker-Content-Digest/);
});

test('a manifest fetched by digest must have that digest, even when its header agrees with the body', async (t) => {
  const { alpine, sharedA } = setup.upstream.images;
  await refused(
    t,
    `/v2/alpine-test/manifests/${alpine.digest}`,
    { kind: 'rewrite', body: sharedA.bytes, headers: { 'docker-content-digest': sharedA.digest } },
    /does not match the requested digest/,
  );
});

test('a manifest HEAD by tag with no valid digest or a non-manifest type is refused, and nothing is recorded', async (t) => {
  const { engine, base } = await setup.startMirror(t);
  // Only the answer with a token counts: the first HEAD gets the 401 challenge.
  const heads = (method: string, path: string, authorization: string | undefined): boolean =>
    method === 'HEAD' && authorization !== undefined && path.startsWith('/v2/library/alpine-test/manifests/');
  setup.front.when(heads, { kind: 'rewrite', headers: { 'docker-content-digest': 'sha256:../../../etc' } }, 1);
  const badDigest = await fetch(`${base}/v2/alpine-test/manifests/latest`, { method: 'HEAD' });
  assert.equal(badDigest.status, 502);
  setup.front.when(heads, { kind: 'rewrite', headers: { 'content-type': 'application/json' } }, 1);
  const badType = await fetch(`${base}/v2/alpine-test/manifests/latest`, { method: 'HEAD' });
  assert.equal(badType.status, 502);
  assert.deepEqual(await engine.listCache(), []);
  // With the upstream honest again, the same tag is served and cached as usual.
  const good = await fetch(`${base}/v2/alpine-test/manifests/latest`);
  assert.equal(good.status, 200);
  assert.deepEqual(Buffer.from(await good.arrayBuffer()), setup.upstream.images.alpine.bytes);
  assert.equal((await engine.listCache()).length, 1);
});

test("what an upstream says in an error reaches clients short and printable, and Retry-After only as seconds", async (t) => {
  const { base } = await setup.startMirror(t);
  const message = `You have reached your pull rate limit.\u001b[2J\r\n${'x'.repeat(5000)}`;
  setup.front.when((method, path) => method === 'GET' && path.startsWith('/v2/library/alpine-test/manifests/'), {
    kind: 'replace',
    status: 429,
    headers: { 'content-type': 'application/json', 'retry-after': 'soon, really' },
    body: Buffer.from(JSON.stringify({ errors: [{ code: 'TOOMANYREQUESTS', message }] })),
  });
  const response = await fetch(`${base}/v2/alpine-test/manifests/latest`);
  assert.equal(response.status, 429);
  assert.equal(response.headers.get('retry-after'), '60');
  const error = ((await response.json()) as { errors: { message: string }[] }).errors[0]!;
  assert.match(error.message, /You have reached your pull rate limit\./);
  assert.doesNotMatch(error.message, /[\u0000-\u001f]/);
  assert.ok(error.message.length < 600, `${error.message.length} characters`);
});

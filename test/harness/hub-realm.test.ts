// The hub stand-in's token realm and Basic mode: scopes, expiry on the injected clock, private
// repositories, and credentials that go only to the realm.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DEFAULT_HUB_USER, startHub } from '../support/hub.js';
import { MEDIA_TYPES } from '../support/images.js';
import { anonymousToken, assertDirHolds, hostOf, upstreamFixture } from './upstream-fixture.js';

const fixture = upstreamFixture();

describe('tokens', () => {
  test('a token opens only the repository it was issued for', async () => {
    const hub = fixture.up.hub;
    const token = await anonymousToken(hub, 'library/alpine-test');
    const own = await fetch(`${hub.url}/v2/library/alpine-test/manifests/latest`, {
      headers: { authorization: `Bearer ${token}`, accept: MEDIA_TYPES.dockerManifest },
    });
    assert.equal(own.status, 200);
    assert.deepEqual(Buffer.from(await own.arrayBuffer()), fixture.up.images.alpine.bytes);

    const other = await fetch(`${hub.url}/v2/dockmirror/shared-a/manifests/1`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(other.status, 401);
    const challenge = other.headers.get('www-authenticate') ?? '';
    assert.match(challenge, /^Bearer realm="http:\/\/127\.0\.0\.1:\d+\/token",service="registry\.docker\.io",scope="repository:dockmirror\/shared-a:pull"/);
    assert.equal(((await other.json()) as { errors: { code: string }[] }).errors[0]?.code, 'UNAUTHORIZED');

    const none = await fetch(`${hub.url}/v2/library/alpine-test/manifests/latest`);
    assert.equal(none.status, 401);
    await none.arrayBuffer();
    assert.equal(new URL(hub.realm).origin, new URL(hub.url).origin, 'the realm is on the registry origin, where plain-http credentials may go');
  });

  test('tokens expire after expires_in on the injected clock', async (t) => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    const hub = await startHub({ registryUrl: fixture.up.registry.url, tokenExpiresInSeconds: 60, now: () => now });
    t.after(() => hub.stop());
    const token = await anonymousToken(hub, 'library/alpine-test');
    const ask = (): Promise<Response> => fetch(`${hub.url}/v2/library/alpine-test/manifests/latest`, { method: 'HEAD', headers: { authorization: `Bearer ${token}` } });
    assert.equal((await ask()).status, 200);
    now += 61_000;
    const expired = await ask();
    assert.equal(expired.status, 401);
    assert.match(expired.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
  });

  test('a private repository needs credentials, which go only to the token realm', async () => {
    fixture.up.hub.resetStats();
    const ref = `docker://${hostOf(fixture.up.url)}/dockmirror/private-test:1`;
    const refused = await fixture.skopeoFails(['inspect', '--raw', '--tls-verify=false', '--no-creds', ref]);
    assert.match(refused, /unauthorized|authentication required|401/i);

    const wrong = await fixture.skopeoFails(['inspect', '--raw', '--tls-verify=false', '--creds', `${DEFAULT_HUB_USER.username}:not-the-token`, ref]);
    assert.match(wrong, /401|unauthorized|incorrect/i);

    fixture.up.hub.resetStats();
    const dir = join(fixture.work, 'private');
    await fixture.skopeo(['copy', '--src-tls-verify=false', '--src-creds', `${DEFAULT_HUB_USER.username}:${DEFAULT_HUB_USER.password}`, ref, `dir:${dir}`]);
    await assertDirHolds(dir, fixture.up.images.privateImage);
    const stats = fixture.up.hub.stats();
    const basic = stats.requests.filter((r) => r.authorization === 'basic');
    assert.ok(basic.length > 0);
    assert.ok(basic.every((r) => r.server === 'auth' && r.basicUser === DEFAULT_HUB_USER.username));
    assert.ok(stats.requests.filter((r) => r.server === 'cdn').every((r) => r.authorization === 'none'));
    assert.ok(stats.tokenRequests.some((r) => r.username === DEFAULT_HUB_USER.username && r.granted.includes('dockmirror/private-test')));
  });

  test('the token endpoint answers 401 to wrong credentials and no scope for private repos to anonymous', async () => {
    const hub = fixture.up.hub;
    const scope = 'scope=repository:dockmirror/private-test:pull';
    const wrong = await fetch(`${hub.realm}?service=${hub.service}&${scope}`, {
      headers: { authorization: `Basic ${Buffer.from(`${DEFAULT_HUB_USER.username}:nope`).toString('base64')}` },
    });
    assert.equal(wrong.status, 401);
    await wrong.arrayBuffer();

    const anonymous = await anonymousToken(hub, 'dockmirror/private-test');
    const denied = await fetch(`${hub.url}/v2/dockmirror/private-test/manifests/1`, { headers: { authorization: `Bearer ${anonymous}` } });
    assert.equal(denied.status, 401);
    await denied.arrayBuffer();

    const form = new URLSearchParams({
      grant_type: 'password',
      service: hub.service,
      scope: 'repository:dockmirror/private-test:pull',
      username: DEFAULT_HUB_USER.username,
      password: DEFAULT_HUB_USER.password,
      client_id: 'dockmirror-test',
    });
    const oauth = await fetch(hub.realm, { method: 'POST', body: form });
    assert.equal(oauth.status, 200);
    const { access_token: token } = (await oauth.json()) as { access_token: string };
    const allowed = await fetch(`${hub.url}/v2/dockmirror/private-test/manifests/1`, {
      headers: { authorization: `Bearer ${token}`, accept: MEDIA_TYPES.dockerManifest },
    });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers.get('docker-ratelimit-source'), DEFAULT_HUB_USER.username);
    assert.deepEqual(Buffer.from(await allowed.arrayBuffer()), fixture.up.images.privateImage.bytes);
  });
});


describe('Basic-challenge mode (team registries)', () => {
  test('challenges with Basic, accepts the configured user, still redirects blobs without credentials', async (t) => {
    const hub = await startHub({ registryUrl: fixture.up.registry.url, auth: 'basic' });
    t.after(() => hub.stop());
    const open = await fetch(`${hub.url}/v2/`);
    assert.equal(open.status, 401);
    assert.match(open.headers.get('www-authenticate') ?? '', /^Basic realm=/);
    await open.arrayBuffer();

    const ref = `docker://${hostOf(hub.url)}/dockmirror/shared-b:1`;
    await fixture.skopeoFails(['inspect', '--raw', '--tls-verify=false', '--no-creds', ref]);
    const dir = join(fixture.work, 'basic');
    await fixture.skopeo(['copy', '--src-tls-verify=false', '--src-creds', `${DEFAULT_HUB_USER.username}:${DEFAULT_HUB_USER.password}`, ref, `dir:${dir}`]);
    await assertDirHolds(dir, fixture.up.images.sharedB);
    const stats = hub.stats();
    assert.equal(stats.tokenRequests.length, 0);
    assert.ok(stats.requests.some((r) => r.server === 'cdn'));
    assert.ok(stats.requests.filter((r) => r.server === 'cdn').every((r) => r.authorization === 'none'));
  });
});

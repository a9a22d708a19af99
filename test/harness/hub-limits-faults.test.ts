// The hub stand-in's pull counting and rate limits, and the faults tests inject: cuts, corruption,
// 5xx, stalls and a hub that goes down and comes back.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_HUB_USER, startHub, type HubStandIn } from '../support/hub.js';
import { MEDIA_TYPES, sha256 } from '../support/images.js';
import { anonymousToken, hostOf, upstreamFixture } from './upstream-fixture.js';

const fixture = upstreamFixture();

describe('rate limits', () => {
  test('GET counts as a pull, HEAD does not; over the limit 429 with Retry-After; users have their own limit', async (t) => {
    const hub = await startHub({ registryUrl: fixture.up.registry.url, anonymousPullLimit: 2, userPullLimit: 5, retryAfterSeconds: 1 });
    // skopeo honours Retry-After before it gives up, so it is kept short here.
    t.after(() => hub.stop());
    const token = await anonymousToken(hub, 'library/alpine-test');
    const manifest = (method: string, bearer = token): Promise<Response> =>
      fetch(`${hub.url}/v2/library/alpine-test/manifests/latest`, {
        method,
        headers: { authorization: `Bearer ${bearer}`, accept: MEDIA_TYPES.dockerManifest },
      });

    for (let i = 0; i < 3; i++) {
      const head = await manifest('HEAD');
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('ratelimit-limit'), '2;w=21600');
      assert.equal(head.headers.get('ratelimit-remaining'), '2;w=21600');
      assert.equal(head.headers.get('docker-ratelimit-source'), '127.0.0.1');
      assert.equal(head.headers.get('docker-content-digest'), fixture.up.images.alpine.digest);
    }
    for (const remaining of [1, 0]) {
      const get = await manifest('GET');
      assert.equal(get.status, 200);
      assert.equal(get.headers.get('ratelimit-remaining'), `${remaining};w=21600`);
      await get.arrayBuffer();
    }
    const limited = await manifest('GET');
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '1');
    assert.equal(limited.headers.get('ratelimit-remaining'), '0;w=21600');
    const body = (await limited.json()) as { errors: { code: string; message: string }[] };
    assert.equal(body.errors[0]?.code, 'TOOMANYREQUESTS');
    assert.match(body.errors[0]?.message ?? '', /You have reached your pull rate limit/);

    const stats = hub.stats();
    assert.equal(stats.manifestGets['library/alpine-test'], 2);
    assert.equal(stats.manifestHeads['library/alpine-test'], 3);
    assert.equal(stats.rateLimited['library/alpine-test'], 1);
    assert.equal(hub.countedPulls(), 2);

    const login = await fetch(`${hub.realm}?service=${hub.service}&scope=repository:library/alpine-test:pull`, {
      headers: { authorization: `Basic ${Buffer.from(`${DEFAULT_HUB_USER.username}:${DEFAULT_HUB_USER.password}`).toString('base64')}` },
    });
    const { token: userToken } = (await login.json()) as { token: string };
    const asUser = await manifest('GET', userToken);
    assert.equal(asUser.status, 200);
    assert.equal(asUser.headers.get('ratelimit-limit'), '5;w=21600');
    assert.equal(asUser.headers.get('ratelimit-remaining'), '4;w=21600');
    assert.equal(asUser.headers.get('docker-ratelimit-source'), DEFAULT_HUB_USER.username);
    await asUser.arrayBuffer();

    const blocked = await fixture.skopeoFails(['inspect', '--raw', '--tls-verify=false', `docker://${hostOf(hub.url)}/library/alpine-test:latest`]);
    assert.match(blocked, /toomanyrequests|pull rate limit|429/i);

    hub.resetRateLimits();
    const again = await manifest('GET');
    assert.equal(again.status, 200);
    await again.arrayBuffer();
  });
});


describe('fault injection', () => {
  async function blobUrl(hub: HubStandIn, digest: string): Promise<string> {
    const redirect = await fetch(`${hub.url}/v2/library/alpine-test/blobs/${digest}`, { redirect: 'manual' });
    await redirect.arrayBuffer();
    const location = redirect.headers.get('location');
    assert.ok(location);
    return location;
  }

  test('cut, corrupt and 5xx apply the given number of times, then the blob is served intact', async (t) => {
    const hub = await startHub({ registryUrl: fixture.up.registry.url, auth: 'none' });
    t.after(() => hub.stop());
    const layer = fixture.up.images.alpine.layers[1];
    assert.ok(layer);
    hub.injectBlobFault(layer.digest, { kind: 'status', status: 503 }, 2);
    hub.injectBlobFault(layer.digest, { kind: 'cut', afterBytes: 100 }, 1);
    hub.injectBlobFault(layer.digest, { kind: 'corrupt' }, 1);

    for (let i = 0; i < 2; i++) {
      const failed = await fetch(await blobUrl(hub, layer.digest));
      assert.equal(failed.status, 503);
      await failed.arrayBuffer();
    }
    const cut = await fetch(await blobUrl(hub, layer.digest));
    assert.equal(cut.status, 200);
    await assert.rejects(cut.arrayBuffer());
    assert.equal(hub.stats().blobBytesSent[layer.digest], 100);

    const corrupt = await fetch(await blobUrl(hub, layer.digest));
    const wrong = Buffer.from(await corrupt.arrayBuffer());
    assert.equal(wrong.length, layer.size);
    assert.notEqual(sha256(wrong), layer.digest);

    const good = await fetch(await blobUrl(hub, layer.digest));
    assert.equal(sha256(Buffer.from(await good.arrayBuffer())), layer.digest);

    hub.injectManifestFault('library/alpine-test', { kind: 'status', status: 500 }, 1);
    const manifest = await fetch(`${hub.url}/v2/library/alpine-test/manifests/latest`);
    assert.equal(manifest.status, 500);
    await manifest.arrayBuffer();
    hub.clearFaults();
    const fine = await fetch(`${hub.url}/v2/library/alpine-test/manifests/latest`, { headers: { accept: MEDIA_TYPES.dockerManifest } });
    assert.equal(fine.status, 200);
    await fine.arrayBuffer();
  });

  test('stall never answers; down refuses or resets connections and comes back on the same ports', async (t) => {
    const hub = await startHub({ registryUrl: fixture.up.registry.url, auth: 'none' });
    t.after(() => hub.stop());
    const layer = fixture.up.images.alpine.layers[0];
    assert.ok(layer);
    hub.injectBlobFault(layer.digest, { kind: 'stall' }, 1);
    const location = await blobUrl(hub, layer.digest);
    const controller = new AbortController();
    const stalled = fetch(location, { signal: controller.signal });
    // Abort once the CDN has the request in hand, so the assertion is about "no answer", not time.
    while (!hub.stats().requests.some((r) => r.server === 'cdn')) await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    await assert.rejects(stalled, { name: 'AbortError' });

    const url = hub.url;
    for (const mode of ['refuse', 'reset'] as const) {
      await hub.setDown(mode);
      await assert.rejects(fetch(`${url}/v2/`), TypeError, `down (${mode}) fails the request`);
      await hub.setDown(false);
      const back = await fetch(`${url}/v2/`);
      assert.equal(back.status, 200);
      await back.arrayBuffer();
    }
  });
});

/** Starts a daemon as a child and stops it (SIGTERM, then SIGKILL) when the test ends. */

// Proves the test upstream with real clients and no mirror: skopeo through the hub stand-in
// (Bearer tokens, 307 to the CDN), token scopes and expiry, the CDN's refusal of Authorization,
// rate limits, private repositories, Basic mode, fault injection, and that the bytes clients
// receive hash to the digests we pushed.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { DEFAULT_HUB_USER, startHub, type HubStandIn } from '../support/hub.js';
import { blobsOf, hostPlatform, MEDIA_TYPES, pushRandomImage, sha256, type PushedImage } from '../support/images.js';
import { startTestUpstream, type TestUpstream } from '../support/upstream.js';

const run = promisify(execFile);
const SKOPEO = '/usr/bin/skopeo';

let up: TestUpstream;
let work: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'dockmirror-upstream-test-'));
  // An empty auth file keeps skopeo away from any credentials stored on this machine.
  await writeFile(join(work, 'auth.json'), '{}');
  up = await startTestUpstream();
});

after(async () => {
  await up?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

function hostOf(url: string): string {
  return new URL(url).host;
}

async function skopeo(args: string[]): Promise<string> {
  const { stdout } = await run(SKOPEO, args, {
    env: { ...process.env, REGISTRY_AUTH_FILE: join(work, 'auth.json') },
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

/** skopeo's failure message, or a test failure when it unexpectedly succeeded. */
async function skopeoFails(args: string[]): Promise<string> {
  try {
    await skopeo(args);
  } catch (error) {
    return String((error as { stderr?: string }).stderr ?? error);
  }
  assert.fail(`skopeo ${args.join(' ')} succeeded but should have failed`);
}

/** Checks a skopeo `dir:` copy: manifests byte for byte, every blob hashing to its digest. */
async function assertDirHolds(dir: string, image: PushedImage): Promise<void> {
  const top = await readFile(join(dir, 'manifest.json'));
  assert.equal(sha256(top), image.digest);
  assert.deepEqual(top, image.bytes);
  if (image.kind === 'index') {
    for (const child of image.manifests) {
      const bytes = await readFile(join(dir, `${child.digest.slice(7)}.manifest.json`));
      assert.deepEqual(bytes, child.bytes);
    }
  }
  for (const blob of blobsOf(image)) {
    const bytes = await readFile(join(dir, blob.digest.slice(7)));
    assert.equal(bytes.length, blob.size, `size of ${blob.digest}`);
    assert.equal(sha256(bytes), blob.digest);
  }
}

async function anonymousToken(hub: HubStandIn, repository: string): Promise<string> {
  const response = await fetch(`${hub.realm}?service=${hub.service}&scope=repository:${repository}:pull`);
  assert.equal(response.status, 200);
  const body = (await response.json()) as { token: string; access_token: string; expires_in: number; issued_at: string };
  assert.equal(body.token, body.access_token);
  assert.equal(typeof body.expires_in, 'number');
  assert.ok(!Number.isNaN(Date.parse(body.issued_at)));
  return body.token;
}

describe('the standard images through the hub stand-in', () => {
  test('skopeo copies the OCI index and both platforms; bytes match what was pushed', async () => {
    up.hub.resetStats();
    const dir = join(work, 'multi');
    await skopeo(['copy', '--src-tls-verify=false', '--all', `docker://${hostOf(up.url)}/library/multi-test:latest`, `dir:${dir}`]);
    const multi = up.images.multi;
    assert.equal(multi.mediaType, MEDIA_TYPES.ociIndex);
    const platforms = multi.manifests.map((m) => `${m.platform.os}/${m.platform.architecture}`).sort();
    assert.deepEqual(platforms, ['linux/amd64', 'linux/arm64']);
    assert.ok(platforms.includes(`linux/${hostPlatform().architecture}`));
    await assertDirHolds(dir, multi);

    const stats = up.hub.stats();
    for (const blob of blobsOf(multi)) {
      assert.equal(stats.blobGets[blob.digest], 1, 'each blob GET reached the registry once');
      assert.equal(stats.cdnGets[blob.digest], 1, 'and was served by the CDN after a 307');
      assert.equal(stats.blobBytesSent[blob.digest], blob.size);
    }
    const cdn = stats.requests.filter((r) => r.server === 'cdn');
    assert.ok(cdn.length >= blobsOf(multi).length);
    assert.ok(cdn.every((r) => r.authorization === 'none' && r.status === 200));
    assert.ok(stats.requests.some((r) => r.server === 'registry' && r.status === 307));
  });

  test('skopeo inspects the Docker v2 image; digest and raw bytes are the pushed ones', async () => {
    const alpine = up.images.alpine;
    const raw = await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${hostOf(up.url)}/library/alpine-test:latest`]);
    assert.deepEqual(Buffer.from(raw), alpine.bytes);
    const info = JSON.parse(await skopeo(['inspect', '--tls-verify=false', `docker://${hostOf(up.url)}/library/alpine-test:latest`])) as {
      Digest: string;
      Layers: string[];
      Architecture: string;
    };
    assert.equal(info.Digest, alpine.digest);
    assert.deepEqual(info.Layers, alpine.layers.map((l) => l.digest));
    assert.equal(info.Architecture, hostPlatform().architecture);
    assert.equal(alpine.mediaType, MEDIA_TYPES.dockerManifest);
    assert.equal(alpine.layers.length, 2);
  });

  test('layers are real gzip tars whose diff_ids are in the config', async () => {
    for (const image of [up.images.alpine, up.images.sharedA]) {
      const config = JSON.parse(image.config.bytes.toString('utf8')) as { rootfs: { diff_ids: string[] }; os: string };
      assert.equal(config.os, 'linux');
      assert.deepEqual(config.rootfs.diff_ids, image.layers.map((l) => l.diffId));
      for (const layer of image.layers) {
        const response = await fetch(`${up.registry.url}/v2/${image.repository}/blobs/${layer.digest}`);
        const tar = gunzipSync(Buffer.from(await response.arrayBuffer()));
        assert.equal(sha256(tar), layer.diffId);
        assert.equal(tar.subarray(257, 262).toString('latin1'), 'ustar');
        for (const file of layer.files) assert.ok(tar.includes(Buffer.from(file.slice(1))), `${file} is in the layer`);
      }
    }
    assert.equal(up.images.sharedA.layers[0]?.digest, up.images.sharedB.layers[0]?.digest, 'shared-a and shared-b share a layer');
    assert.notEqual(up.images.sharedA.layers[1]?.digest, up.images.sharedB.layers[1]?.digest);
  });

  test('a streamed random layer is pushed with correct digest and diff_id and copies intact', async () => {
    const big = await pushRandomImage(up.registry.url, { repository: 'bench/random', tag: 'small', sizeBytes: 3 * 1024 * 1024 + 17 });
    const layer = big.layers[0];
    assert.ok(layer);
    const dir = join(work, 'random');
    await skopeo(['copy', '--src-tls-verify=false', `docker://${hostOf(up.url)}/bench/random:small`, `dir:${dir}`]);
    await assertDirHolds(dir, big);
    const tar = gunzipSync(await readFile(join(dir, layer.digest.slice(7))));
    assert.equal(sha256(tar), layer.diffId);
    assert.equal(tar.length, layer.uncompressedSize);
  });
});

describe('tokens', () => {
  test('a token opens only the repository it was issued for', async () => {
    const hub = up.hub;
    const token = await anonymousToken(hub, 'library/alpine-test');
    const own = await fetch(`${hub.url}/v2/library/alpine-test/manifests/latest`, {
      headers: { authorization: `Bearer ${token}`, accept: MEDIA_TYPES.dockerManifest },
    });
    assert.equal(own.status, 200);
    assert.deepEqual(Buffer.from(await own.arrayBuffer()), up.images.alpine.bytes);

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
    const hub = await startHub({ registryUrl: up.registry.url, tokenExpiresInSeconds: 60, now: () => now });
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
    up.hub.resetStats();
    const ref = `docker://${hostOf(up.url)}/dockmirror/private-test:1`;
    const refused = await skopeoFails(['inspect', '--raw', '--tls-verify=false', '--no-creds', ref]);
    assert.match(refused, /unauthorized|authentication required|401/i);

    const wrong = await skopeoFails(['inspect', '--raw', '--tls-verify=false', '--creds', `${DEFAULT_HUB_USER.username}:not-the-token`, ref]);
    assert.match(wrong, /401|unauthorized|incorrect/i);

    up.hub.resetStats();
    const dir = join(work, 'private');
    await skopeo(['copy', '--src-tls-verify=false', '--src-creds', `${DEFAULT_HUB_USER.username}:${DEFAULT_HUB_USER.password}`, ref, `dir:${dir}`]);
    await assertDirHolds(dir, up.images.privateImage);
    const stats = up.hub.stats();
    const basic = stats.requests.filter((r) => r.authorization === 'basic');
    assert.ok(basic.length > 0);
    assert.ok(basic.every((r) => r.server === 'auth' && r.basicUser === DEFAULT_HUB_USER.username));
    assert.ok(stats.requests.filter((r) => r.server === 'cdn').every((r) => r.authorization === 'none'));
    assert.ok(stats.tokenRequests.some((r) => r.username === DEFAULT_HUB_USER.username && r.granted.includes('dockmirror/private-test')));
  });

  test('the token endpoint answers 401 to wrong credentials and no scope for private repos to anonymous', async () => {
    const hub = up.hub;
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
    assert.deepEqual(Buffer.from(await allowed.arrayBuffer()), up.images.privateImage.bytes);
  });
});

describe('the CDN', () => {
  async function cdnLocation(): Promise<{ location: string; blob: { digest: string; size: number; bytes?: Buffer } }> {
    const layer = up.images.alpine.layers[0];
    assert.ok(layer?.bytes);
    const token = await anonymousToken(up.hub, 'library/alpine-test');
    const redirect = await fetch(`${up.url}/v2/library/alpine-test/blobs/${layer.digest}`, {
      headers: { authorization: `Bearer ${token}` },
      redirect: 'manual',
    });
    assert.equal(redirect.status, 307);
    await redirect.arrayBuffer();
    const location = redirect.headers.get('location');
    assert.ok(location !== null && location.startsWith(up.hub.cdnUrl));
    return { location, blob: layer };
  }

  test('rejects a request that carries Authorization, serves the signed URL without it', async () => {
    const { location, blob } = await cdnLocation();
    const withAuth = await fetch(location, { headers: { authorization: 'Bearer something' } });
    assert.equal(withAuth.status, 400);
    assert.match(await withAuth.text(), /Only one auth mechanism allowed/);

    const plain = await fetch(location);
    assert.equal(plain.status, 200);
    const bytes = Buffer.from(await plain.arrayBuffer());
    assert.equal(sha256(bytes), blob.digest);

    const tampered = new URL(location);
    tampered.searchParams.set('X-Amz-Signature', '0'.repeat(64));
    const forged = await fetch(tampered);
    assert.equal(forged.status, 403);
    await forged.arrayBuffer();
  });

  test('answers Range requests with 206 and the right slice', async () => {
    const { location, blob } = await cdnLocation();
    const part = await fetch(location, { headers: { range: 'bytes=10-49' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 10-49/${blob.size}`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), blob.bytes?.subarray(10, 50));
  });
});

describe("the benchmark's CDN: distribution's files and a shaped link", () => {
  // The signed CDN URL of a blob, with the bearer dance a client does first.
  async function signedUrl(hub: HubStandIn, repository: string, digest: string): Promise<string> {
    const token = await anonymousToken(hub, repository);
    const redirect = await fetch(`${hub.url}/v2/${repository}/blobs/${digest}`, { headers: { authorization: `Bearer ${token}` }, redirect: 'manual' });
    await redirect.arrayBuffer();
    assert.equal(redirect.status, 307);
    return redirect.headers.get('location')!;
  }

  test('serves the stored bytes and headers distribution would, resumes with bytes=N-, and counts what it sent', async (t) => {
    // No distribution behind this stand-in (port 9 refuses), so every byte served comes from the files.
    const hub = await startHub({ registryUrl: 'http://127.0.0.1:9', blobStorageRoot: up.registry.rootDir });
    t.after(() => hub.stop());
    const layer = up.images.alpine.layers[0]!;
    const location = await signedUrl(hub, 'library/alpine-test', layer.digest);
    const whole = await fetch(location);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get('content-length'), String(layer.size));
    assert.equal(whole.headers.get('docker-content-digest'), layer.digest);
    assert.deepEqual(Buffer.from(await whole.arrayBuffer()), layer.bytes);
    const rest = await fetch(location, { headers: { range: 'bytes=100-' } });
    assert.equal(rest.status, 206);
    assert.equal(rest.headers.get('content-range'), `bytes 100-${layer.size - 1}/${layer.size}`);
    assert.deepEqual(Buffer.from(await rest.arrayBuffer()), layer.bytes?.subarray(100));
    // Other range forms are asked of distribution, which this stand-in cannot reach.
    const middle = await fetch(location, { headers: { range: 'bytes=10-49' } });
    assert.equal(middle.status, 502);
    await middle.arrayBuffer();
    assert.equal(hub.stats().blobBytesSent[layer.digest], layer.size + (layer.size - 100));
    // A corrupting fault still applies to bytes read from the files.
    hub.injectBlobFault(layer.digest, { kind: 'corrupt' }, 1);
    const corrupted = Buffer.from(await (await fetch(location)).arrayBuffer());
    assert.equal(corrupted.length, layer.size);
    assert.notEqual(sha256(corrupted), layer.digest);
  });

  test('a link rate holds blob bodies to that bandwidth, and null lifts it', async (t) => {
    const hub = await startHub({ registryUrl: up.registry.url, blobStorageRoot: up.registry.rootDir });
    t.after(() => hub.stop());
    const image = await pushRandomImage(up.registry.url, { repository: 'library/shaped-test', tag: '1', sizeBytes: 2 * 1024 * 1024 });
    const layer = image.layers[0]!;
    const location = await signedUrl(hub, image.repository, layer.digest);
    const bytesPerSecond = 4 * 1024 * 1024;
    hub.setBlobLinkRate(bytesPerSecond);
    const started = performance.now();
    const body = Buffer.from(await (await fetch(location)).arrayBuffer());
    const elapsedMs = performance.now() - started;
    assert.equal(sha256(body), layer.digest);
    // Only a lower bound: the link may let 50 ms of bytes run ahead, and a busy machine is slower still.
    const floorMs = (layer.size / bytesPerSecond) * 1000 - 50;
    assert.ok(elapsedMs >= floorMs * 0.95, `${layer.size} bytes on a ${bytesPerSecond} B/s link took ${elapsedMs.toFixed(0)} ms, under ${floorMs.toFixed(0)} ms`);
    hub.setBlobLinkRate(null);
    assert.equal(sha256(Buffer.from(await (await fetch(location)).arrayBuffer())), layer.digest);
    assert.throws(() => hub.setBlobLinkRate(0), /positive rate/);
  });
});

describe('rate limits', () => {
  test('GET counts as a pull, HEAD does not; over the limit 429 with Retry-After; users have their own limit', async (t) => {
    const hub = await startHub({ registryUrl: up.registry.url, anonymousPullLimit: 2, userPullLimit: 5, retryAfterSeconds: 1 });
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
      assert.equal(head.headers.get('docker-content-digest'), up.images.alpine.digest);
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

    const blocked = await skopeoFails(['inspect', '--raw', '--tls-verify=false', `docker://${hostOf(hub.url)}/library/alpine-test:latest`]);
    assert.match(blocked, /toomanyrequests|pull rate limit|429/i);

    hub.resetRateLimits();
    const again = await manifest('GET');
    assert.equal(again.status, 200);
    await again.arrayBuffer();
  });
});

describe('Basic-challenge mode (team registries)', () => {
  test('challenges with Basic, accepts the configured user, still redirects blobs without credentials', async (t) => {
    const hub = await startHub({ registryUrl: up.registry.url, auth: 'basic' });
    t.after(() => hub.stop());
    const open = await fetch(`${hub.url}/v2/`);
    assert.equal(open.status, 401);
    assert.match(open.headers.get('www-authenticate') ?? '', /^Basic realm=/);
    await open.arrayBuffer();

    const ref = `docker://${hostOf(hub.url)}/dockmirror/shared-b:1`;
    await skopeoFails(['inspect', '--raw', '--tls-verify=false', '--no-creds', ref]);
    const dir = join(work, 'basic');
    await skopeo(['copy', '--src-tls-verify=false', '--src-creds', `${DEFAULT_HUB_USER.username}:${DEFAULT_HUB_USER.password}`, ref, `dir:${dir}`]);
    await assertDirHolds(dir, up.images.sharedB);
    const stats = hub.stats();
    assert.equal(stats.tokenRequests.length, 0);
    assert.ok(stats.requests.some((r) => r.server === 'cdn'));
    assert.ok(stats.requests.filter((r) => r.server === 'cdn').every((r) => r.authorization === 'none'));
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
    const hub = await startHub({ registryUrl: up.registry.url, auth: 'none' });
    t.after(() => hub.stop());
    const layer = up.images.alpine.layers[1];
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
    const hub = await startHub({ registryUrl: up.registry.url, auth: 'none' });
    t.after(() => hub.stop());
    const layer = up.images.alpine.layers[0];
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
function daemon(t: { after: (fn: () => Promise<void>) => void }, command: string, args: string[]): ChildProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-8000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', (error) => {
    log += `could not start ${command}: ${error.message}`;
  });
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(force);
    }
  });
  Object.defineProperty(child, 'log', { get: () => log });
  return child;
}

/** Retries `probe` until it succeeds or the daemon dies; the error then carries the daemon's log. */
async function waitForDaemon(child: ChildProcess, name: string, probe: () => Promise<unknown>): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    if (child.exitCode !== null || child.signalCode !== null) {
      assert.fail(`${name} exited: ${(child as ChildProcess & { log?: string }).log ?? ''}`);
    }
    try {
      await probe();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  assert.fail(`${name} did not come up: ${(child as ChildProcess & { log?: string }).log ?? ''}`);
}

describe('real daemons pull through the stand-in', () => {
  test('containerd (ctr) pulls and unpacks the index for this platform and the Docker v2 image', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'dm-ctd-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const socket = join(dir, 'c.sock');
    const config = [
      'version = 2',
      `root = ${JSON.stringify(join(dir, 'root'))}`,
      `state = ${JSON.stringify(join(dir, 'state'))}`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      '[grpc]',
      `  address = ${JSON.stringify(socket)}`,
      '[ttrpc]',
      `  address = ${JSON.stringify(join(dir, 't.sock'))}`,
    ].join('\n');
    await writeFile(join(dir, 'config.toml'), config);
    const containerd = daemon(t, '/usr/bin/containerd', ['--config', join(dir, 'config.toml'), '--log-level', 'warn']);
    const ctr = (...args: string[]): Promise<{ stdout: string }> => run('/usr/bin/ctr', ['--address', socket, '-n', 'dockmirror-test', ...args]);
    await waitForDaemon(containerd, 'containerd', () => ctr('version'));

    up.hub.resetStats();
    const host = hostOf(up.url);
    for (const ref of ['library/multi-test:latest', 'library/alpine-test:latest']) {
      await ctr('images', 'pull', '--plain-http', '--snapshotter', 'native', `${host}/${ref}`);
    }
    const list = (await ctr('images', 'ls')).stdout;
    assert.match(list, new RegExp(`${host}/library/multi-test:latest\\s+${MEDIA_TYPES.ociIndex.replace(/[.+]/g, '\\$&')}\\s+${up.images.multi.digest}`));
    assert.match(list, new RegExp(`${host}/library/alpine-test:latest\\s+\\S+\\s+${up.images.alpine.digest}`));
    // Unpacked: the layer files are in the native snapshotter's directories.
    const snapshots = join(dir, 'root', 'io.containerd.snapshotter.v1.native', 'snapshots');
    const found = (await run('find', [snapshots, '-name', '*.txt'])).stdout;
    assert.match(found, new RegExp(`/etc/dockmirror-test/multi-${hostPlatform().architecture}\\.txt`));
    assert.match(found, /\/etc\/dockmirror-test\/alpine-app\.txt/);
    const stats = up.hub.stats();
    assert.ok(stats.requests.filter((r) => r.server === 'cdn').every((r) => r.authorization === 'none' && r.status === 200));
    assert.ok(stats.tokenRequests.length > 0);
  });
});

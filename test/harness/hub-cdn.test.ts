// The hub stand-in's CDN: signed URLs that refuse Authorization like S3, Range answers, the
// benchmark's CDN that serves distribution's files over a shaped link, and the stand-in over https.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Agent, request } from 'undici';
import { startHub, type HubStandIn } from '../support/hub.js';
import { pushRandomImage, sha256 } from '../support/images.js';
import { makeTestCertificates } from '../support/test-ca.js';
import { anonymousToken, upstreamFixture } from './upstream-fixture.js';

const fixture = upstreamFixture();

describe('the CDN', () => {
  async function cdnLocation(): Promise<{ location: string; blob: { digest: string; size: number; bytes?: Buffer } }> {
    const layer = fixture.up.images.alpine.layers[0];
    assert.ok(layer?.bytes);
    const token = await anonymousToken(fixture.up.hub, 'library/alpine-test');
    const redirect = await fetch(`${fixture.up.url}/v2/library/alpine-test/blobs/${layer.digest}`, {
      headers: { authorization: `Bearer ${token}` },
      redirect: 'manual',
    });
    assert.equal(redirect.status, 307);
    await redirect.arrayBuffer();
    const location = redirect.headers.get('location');
    assert.ok(location !== null && location.startsWith(fixture.up.hub.cdnUrl));
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
    const hub = await startHub({ registryUrl: 'http://127.0.0.1:9', blobStorageRoot: fixture.up.registry.rootDir });
    t.after(() => hub.stop());
    const layer = fixture.up.images.alpine.layers[0]!;
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
    const hub = await startHub({ registryUrl: fixture.up.registry.url, blobStorageRoot: fixture.up.registry.rootDir });
    t.after(() => hub.stop());
    const image = await pushRandomImage(fixture.up.registry.url, { repository: 'library/shaped-test', tag: '1', sizeBytes: 2 * 1024 * 1024 });
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

describe('the stand-in over https (the benchmark\'s https row)', () => {
  test('with tls, the registry, the realm and the CDN answer only over https with that certificate, and a blob comes whole', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'dockmirror-hub-tls-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const { caFile, leaves } = await makeTestCertificates(dir, { loopback: 'IP:127.0.0.1' });
    const hub = await startHub({ registryUrl: fixture.up.registry.url, tls: leaves.loopback });
    t.after(() => hub.stop());
    for (const url of [hub.url, hub.realm, hub.cdnUrl]) assert.match(url, /^https:\/\/127\.0\.0\.1:\d+/);
    await assert.rejects(request(`${hub.url}/v2/`), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    const trusting = new Agent({ connect: { ca: await readFile(caFile) } });
    t.after(() => trusting.close());
    const get = (url: string, headers: Record<string, string> = {}) => request(url, { dispatcher: trusting, headers });
    const repository = 'library/alpine-test';
    const { token } = (await (await get(`${hub.realm}?service=${hub.service}&scope=repository:${repository}:pull`)).body.json()) as { token: string };
    const layer = fixture.up.images.alpine.layers[0]!;
    const redirect = await get(`${hub.url}/v2/${repository}/blobs/${layer.digest}`, { authorization: `Bearer ${token}` });
    await redirect.body.dump();
    assert.equal(redirect.statusCode, 307);
    const location = String(redirect.headers.location);
    assert.ok(location.startsWith(`${hub.cdnUrl}/`), `${location} is on the https CDN`);
    const blob = await get(location);
    assert.equal(sha256(Buffer.from(await blob.body.arrayBuffer())), layer.digest);
  });
});

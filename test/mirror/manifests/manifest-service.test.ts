// ManifestService on a real store in a temp folder against the counting Hub stand-in: what a tag
// or a digest costs the upstream within and after the TTL, what is stored, and what is served
// when the upstream is gone. Each test pushes its own repository, so counts start from zero.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RegistryError } from '../../../mirror/errors.js';
import { pushImage, type PushedImageManifest } from '../../support/images.js';
import { startServices } from '../../support/services.js';
import { blobFiles } from '../../support/store-files.js';
import { startTestUpstream, type TestUpstream } from '../../support/upstream.js';

const ttlMs = 60_000;
let upstream: TestUpstream;

before(async () => {
  upstream = await startTestUpstream();
});

after(async () => {
  await upstream?.close();
});

async function freshImage(name: string, content = name): Promise<PushedImageManifest> {
  return pushImage(upstream.registry.url, { repository: `dockmirror/ms-${name}`, tag: 'v', layers: [[{ path: '/a.txt', content: `${content}\n` }]] });
}

function counts(repository: string): { gets: number; heads: number } {
  const stats = upstream.hub.stats();
  return { gets: stats.manifestGets[repository] ?? 0, heads: stats.manifestHeads[repository] ?? 0 };
}

const tag = (value: string) => ({ kind: 'tag' as const, value });
const digest = (value: string) => ({ kind: 'digest' as const, value });

test('a tag: one GET stores it; within the TTL nothing goes upstream; after it one HEAD, no GET', async (t) => {
  const clock = { ms: Date.now() };
  const services = await startServices(t, upstream.url, { now: () => clock.ms, tagTtlMs: ttlMs });
  const image = await freshImage('tag');
  const first = await services.manifests.get('GET', image.repository, tag('v'));
  assert.equal(first.cache, 'miss');
  assert.deepEqual(first.body, image.bytes);
  assert.equal(first.digest, image.digest);
  assert.deepEqual(counts(image.repository), { gets: 1, heads: 0 });
  assert.ok((await blobFiles(services.cacheDir)).some((file) => file.digest === image.digest), 'the manifest is stored by digest');

  clock.ms += ttlMs - 1;
  const cached = await services.manifests.get('GET', image.repository, tag('v'));
  assert.equal(cached.cache, 'hit');
  assert.deepEqual(counts(image.repository), { gets: 1, heads: 0 });

  clock.ms += 2;
  const revalidated = await services.manifests.get('GET', image.repository, tag('v'));
  assert.equal(revalidated.cache, 'revalidated');
  assert.deepEqual(revalidated.body, image.bytes);
  assert.deepEqual(counts(image.repository), { gets: 1, heads: 1 });
});

test('concurrent requests for an uncached tag share one upstream GET', async (t) => {
  const services = await startServices(t, upstream.url);
  const image = await freshImage('shared');
  const answers = await Promise.all(Array.from({ length: 8 }, () => services.manifests.get('GET', image.repository, tag('v'))));
  for (const answer of answers) assert.deepEqual(answer.body, image.bytes);
  assert.deepEqual(answers.map((a) => a.cache).sort(), ['coalesced', 'coalesced', 'coalesced', 'coalesced', 'coalesced', 'coalesced', 'coalesced', 'miss']);
  assert.deepEqual(counts(image.repository), { gets: 1, heads: 0 });
});

test('a digest stored for one repository is served for another only after the upstream confirms it', async (t) => {
  const services = await startServices(t, upstream.url);
  const image = await freshImage('owner');
  const other = await freshImage('other');
  await services.manifests.get('GET', image.repository, digest(image.digest));
  const again = await services.manifests.get('GET', image.repository, digest(image.digest));
  assert.equal(again.cache, 'hit');
  assert.deepEqual(counts(image.repository), { gets: 1, heads: 0 });
  await assert.rejects(services.manifests.get('GET', other.repository, digest(image.digest)), (error: unknown) => error instanceof RegistryError && error.code === 'MANIFEST_UNKNOWN');
  assert.deepEqual(counts(other.repository), { gets: 0, heads: 1 }, 'one HEAD asked, and the stored bytes were not handed out');
});

test('with the upstream gone, a cached tag is served stale; an uncached one fails with UNAVAILABLE', async (t) => {
  const clock = { ms: Date.now() };
  const services = await startServices(t, upstream.url, { now: () => clock.ms, tagTtlMs: ttlMs });
  const image = await freshImage('stale');
  const uncached = await freshImage('never');
  await services.manifests.get('GET', image.repository, tag('v'));
  await upstream.hub.setDown('refuse');
  t.after(() => upstream.hub.setDown(false));
  clock.ms += ttlMs + 1;
  const stale = await services.manifests.get('GET', image.repository, tag('v'));
  assert.equal(stale.cache, 'stale');
  assert.deepEqual(stale.body, image.bytes);
  await assert.rejects(services.manifests.get('GET', uncached.repository, tag('v')), (error: unknown) => error instanceof RegistryError && error.code === 'UNAVAILABLE');
});

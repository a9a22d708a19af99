// Pulls as they happen, against a real mirror and a real distribution behind the Hub stand-in
// with its blob link slowed, so a pull takes seconds: the engine must announce the pull from its
// first manifest request and report growing bytes while the blob is still being sent, with
// totals from the manifest's layer sizes, then end it with the summary under the same id.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MirrorEvent, PullEvent, PullProgressEvent } from '../../mirror/index.js';
import { bytesOf, engineHarness, waitFor } from '../support/engine-harness.js';
import { MEDIA_TYPES, pushRandomImage } from '../support/images.js';

const harness = engineHarness();
const accept = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifestList, MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest].join(', ');

interface Pulled {
  layers: { digest: string; size: number }[];
  statuses: number[];
}

/** What a runtime does: the manifest by tag (an index leads to the first platform's), then config and layers. */
async function pullImage(base: string, repository: string, tag: string): Promise<Pulled> {
  const statuses: number[] = [];
  let response = await fetch(`${base}/v2/${repository}/manifests/${tag}`, { headers: { accept } });
  statuses.push(response.status);
  let manifest = (await response.json()) as { manifests?: { digest: string }[]; config: { digest: string }; layers: { digest: string; size: number }[] };
  if (manifest.manifests) {
    response = await fetch(`${base}/v2/${repository}/manifests/${manifest.manifests[0]!.digest}`, { headers: { accept } });
    statuses.push(response.status);
    manifest = (await response.json()) as typeof manifest;
  }
  for (const digest of [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) {
    const blob = await fetch(`${base}/v2/${repository}/blobs/${digest}`);
    statuses.push(blob.status);
    await bytesOf(blob);
  }
  return { layers: manifest.layers, statuses };
}

function progressOf(events: MirrorEvent[], repository: string): PullProgressEvent[] {
  return events.filter((e): e is PullProgressEvent => e.type === 'pull-progress' && e.repository === repository);
}

function summaryOf(events: MirrorEvent[], repository: string): PullEvent | undefined {
  return events.find((e): e is PullEvent => e.type === 'pull' && e.repository === repository);
}

describe('live pulls', () => {
  test('a slow pull reports growing bytes while its layer is sent, with the manifest\'s totals, then its summary under the same id', async (t) => {
    const image = await pushRandomImage(harness.upstream.registry.url, { repository: 'dockmirror/live-slow', tag: '1', sizeBytes: 3 * 1024 * 1024 });
    const { base, events } = await startMirrorSlowed(t, 1024 * 1024);
    const pulling = pullImage(base, image.repository, '1');
    // The row exists from the first manifest request, long before the pull ends.
    const first = await waitFor(() => progressOf(events, image.repository)[0], 'the first progress event');
    assert.equal(summaryOf(events, image.repository), undefined);
    const pulled = await pulling;
    const summary = await waitFor(() => summaryOf(events, image.repository), 'the pull summary');
    const progress = progressOf(events, image.repository);
    const summaryAt = events.indexOf(summary);
    assert.ok(progress.every((p) => events.indexOf(p) < summaryAt), 'no progress after the summary');
    assert.ok(progress.every((p) => p.id === summary.id), 'one id from the first progress to the summary');
    assert.equal(first.id, summary.id);
    const total = pulled.layers.reduce((sum, l) => sum + l.size, 0);
    const known = progress.filter((p) => p.bytesTotal > 0);
    assert.ok(known.every((p) => p.bytesTotal === total && p.layersTotal === pulled.layers.length), 'totals are the manifest\'s layer sizes');
    // Bytes grew while the one layer was still being sent, not only when its request ended.
    const midLayer = known.filter((p) => p.bytesDone > 0 && p.bytesDone < total && p.layersDone === 0);
    assert.ok(midLayer.length >= 3, `progress while the layer was sent: ${midLayer.map((p) => p.bytesDone).join(', ')}`);
    for (let i = 1; i < known.length; i++) assert.ok(known[i]!.bytesDone >= known[i - 1]!.bytesDone, 'bytes done never go back');
    assert.ok(midLayer.some((p) => p.bytesPerSecond > 0), 'a speed while sending');
    const last = known.at(-1)!;
    assert.deepEqual([last.bytesDone, last.layersDone, last.failed], [total, pulled.layers.length, false]);
    assert.deepEqual([summary.ok, summary.layersTotal, summary.bytesTotal], [true, pulled.layers.length, total]);
    // Sampled on a timer (about four a second over a few seconds), not one event per chunk sent.
    assert.ok(progress.length < 100, `sampled, not sent per chunk: ${progress.length} progress events`);
  });

  test('an index pull takes its totals from the platform manifest, and a cached pull is all from the cache', async (t) => {
    const { base, events } = await startMirrorSlowed(t, null);
    const multi = harness.upstream.images.multi;
    const platform = await pullImage(base, multi.repository, multi.tag!);
    const total = platform.layers.reduce((sum, l) => sum + l.size, 0);
    const firstPull = await waitFor(() => summaryOf(events, multi.repository), 'the first pull');
    assert.deepEqual([firstPull.layersTotal, firstPull.bytesTotal], [platform.layers.length, total]);
    events.length = 0;
    await pullImage(base, multi.repository, multi.tag!);
    const again = await waitFor(() => summaryOf(events, multi.repository), 'the cached pull');
    assert.notEqual(again.id, firstPull.id);
    const last = progressOf(events, multi.repository).at(-1)!;
    assert.deepEqual([last.bytesDone, last.bytesFromCache, last.bytesTotal], [total, total, total]);
  });

  test('a pull whose layer the upstream cannot send is marked failed, live and in its summary', async (t) => {
    const { base, events } = await startMirrorSlowed(t, null);
    const image = harness.upstream.images.sharedA;
    harness.upstream.hub.injectBlobFault(image.layers.at(-1)!.digest, { kind: 'status', status: 404 });
    t.after(() => harness.upstream.hub.clearFaults());
    const pulled = await pullImage(base, image.repository, image.tag!);
    assert.ok(pulled.statuses.some((s) => s >= 400), `a request failed: ${pulled.statuses.join(', ')}`);
    const summary = await waitFor(() => summaryOf(events, image.repository), 'the failed pull');
    assert.equal(summary.ok, false);
    assert.match(summary.summary, /failed to pull/);
    assert.equal(progressOf(events, image.repository).at(-1)!.failed, true);
  });
});

async function startMirrorSlowed(t: Parameters<typeof harness.startMirror>[0], bytesPerSecond: number | null) {
  harness.upstream.hub.setBlobLinkRate(bytesPerSecond);
  t.after(() => harness.upstream.hub.setBlobLinkRate(null));
  return harness.startMirror(t);
}

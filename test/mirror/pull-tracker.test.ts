// The engine's pull tracker under many pulls at once, fed the events the HTTP front hands it
// (answering() before a body goes out, record() when it ended) with the send counters moved as
// the send path moves them: it must sample those counters without being told of each chunk,
// hold only the pulls still running, and forget each one once its summary is out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PullEvent, PullProgressEvent, RequestEvent } from '../../mirror/public-types.js';
import { PullTracker } from '../../mirror/pull-tracker.js';

const layerSize = 10_000;

function event(client: string, kind: 'manifest' | 'blob', reference: string, id: string): RequestEvent {
  return { type: 'request', id, time: new Date().toISOString(), client, method: 'GET', kind, registry: 'docker.io', repository: 'library/app', reference, status: 200, bytes: 0, durationMs: 1, cache: 'miss' };
}

const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, config: { digest: 'sha256:c', size: 10 }, layers: [{ digest: 'sha256:l1', size: layerSize }, { digest: 'sha256:l2', size: layerSize }] }));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts one client's pull: its manifest answered, both layers being sent; returns their counters and events. */
function startPull(tracker: PullTracker, client: string) {
  const m = event(client, 'manifest', 'latest', `${client}-m`);
  assert.equal(tracker.answering(m, manifest), undefined);
  tracker.record({ ...m, bytes: manifest.length });
  return ['sha256:l1', 'sha256:l2'].map((digest) => {
    const e = event(client, 'blob', digest, `${client}-${digest}`);
    return { event: e, counter: tracker.answering(e, undefined)! };
  });
}

test('50 pulls at once are sampled from their send counters, held while they run and forgotten when done', async () => {
  const emitted: Array<PullEvent | PullProgressEvent> = [];
  const tracker = new PullTracker((e) => emitted.push(e), { quietMs: 100, sampleMs: 20 });
  const pulls = Array.from({ length: 50 }, (_, i) => startPull(tracker, `10.0.0.${i}`));
  assert.equal(tracker.openPulls, 50);
  // Half of every layer sent: no request ended, so only the sampler can see it.
  for (const sends of pulls) for (const send of sends) send.counter.sent = layerSize / 2;
  await sleep(120);
  const midway = emitted.filter((e): e is PullProgressEvent => e.type === 'pull-progress' && e.bytesDone === layerSize);
  assert.equal(new Set(midway.map((e) => e.client)).size, 50, 'every pull reported its half-sent layers');
  assert.ok(midway.every((e) => e.bytesTotal === 2 * layerSize && e.layersTotal === 2 && e.layersDone === 0));
  assert.equal(emitted.filter((e) => e.type === 'pull').length, 0, 'no pull ends while its blobs are still being sent');
  // Unchanged counters send nothing more: progress is sampled, not repeated.
  const before = emitted.length;
  await sleep(80);
  assert.equal(emitted.length, before);
  for (const sends of pulls) {
    for (const send of sends) {
      send.counter.sent = layerSize;
      tracker.record({ ...send.event, bytes: layerSize });
    }
  }
  await sleep(250);
  assert.equal(tracker.openPulls, 0, 'finished pulls are not held');
  const summaries = emitted.filter((e): e is PullEvent => e.type === 'pull');
  assert.equal(summaries.length, 50);
  const firstIds = new Set(emitted.filter((e) => e.type === 'pull-progress').map((e) => e.id));
  assert.ok(summaries.every((s) => firstIds.has(s.id) && s.ok && s.bytesTotal === 2 * layerSize), 'each summary carries its running pull\'s id');
});

test('pull after pull, the tracker never holds more than the pulls running at once', async () => {
  const tracker = new PullTracker(() => {}, { quietMs: 10, sampleMs: 5 });
  let most = 0;
  for (let round = 0; round < 20; round++) {
    const pulls = Array.from({ length: 50 }, (_, i) => startPull(tracker, `10.1.${round}.${i}`));
    most = Math.max(most, tracker.openPulls);
    for (const sends of pulls) for (const send of sends) tracker.record({ ...send.event, bytes: layerSize });
    await sleep(40);
    assert.equal(tracker.openPulls, 0, `round ${round}`);
  }
  assert.equal(most, 50);
});

test('a layer answer that stops short marks the pull failed', async () => {
  const emitted: Array<PullEvent | PullProgressEvent> = [];
  const tracker = new PullTracker((e) => emitted.push(e), { quietMs: 20, sampleMs: 5 });
  const [first, second] = startPull(tracker, '10.2.0.1');
  tracker.record({ ...first!.event, bytes: layerSize });
  tracker.record({ ...second!.event, bytes: layerSize - 1 });
  await sleep(80);
  const summary = emitted.find((e): e is PullEvent => e.type === 'pull')!;
  assert.equal(summary.ok, false);
  assert.match(summary.summary, /failed to pull/);
});

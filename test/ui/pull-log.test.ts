// The live log's model, as the window runs it (the renderer's own build, dist/renderer), fed what
// a busy day sends: 50 pulls at once with progress a few times a second each, thousands of
// requests and summaries. Progress must replace a pull's row in place, and the log must stay
// within its caps however long it runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MirrorEvent, PullEvent, PullProgressEvent, RequestEvent } from '../../main/shared/contract.js';

interface Row {
  kind: string;
}
interface PullLogModel {
  add(event: MirrorEvent): void;
  rows(filter: { client: string; image: string; cache: '' }): Row[];
  readonly size: number;
  readonly runningPulls: number;
}
type PullLogClass = new (limit?: number, maxRunning?: number) => PullLogModel;

// Imported by URL so the Node build does not compile the renderer's file a second time.
const rendererModule = new URL('../../renderer/renderer/live/pull-log.js', import.meta.url).href;
const loadPullLog = async (): Promise<PullLogClass> => ((await import(rendererModule)) as { PullLog: PullLogClass }).PullLog;
const all = { client: '', image: '', cache: '' } as const;

function request(n: number, client: string): RequestEvent {
  return { type: 'request', id: `r${n}`, time: new Date(1_700_000_000_000 + n).toISOString(), client, method: 'GET', kind: 'blob', repository: 'library/busy', reference: `sha256:${String(n).padStart(64, '0')}`, status: 200, bytes: 1000, durationMs: 3, cache: 'hit' };
}

function progress(pull: number, bytesDone: number): PullProgressEvent {
  return { type: 'pull-progress', id: `p${pull}`, time: new Date(1_700_000_000_000).toISOString(), client: `10.0.0.${pull % 250}`, repository: `library/image-${pull}`, reference: 'latest', layersDone: 0, layersTotal: 5, bytesDone, bytesTotal: 5_000_000, bytesFromCache: 0, bytesPerSecond: 1000, elapsedMs: 10, failed: false };
}

function summary(pull: number, requestIds: string[]): PullEvent {
  return { type: 'pull', id: `p${pull}`, time: new Date(1_700_000_000_000).toISOString(), client: `10.0.0.${pull % 250}`, repository: `library/image-${pull}`, reference: 'latest', blobs: requestIds.length, blobsFromCache: 0, bytes: 5_000_000, durationMs: 900, ok: true, requestIds, summary: `pulled library/image-${pull}:latest` };
}

test('50 pulls at once: progress replaces each pull\'s row in place, and the summary replaces it for good', async () => {
  const log = new (await loadPullLog())();
  for (let pull = 0; pull < 50; pull++) log.add(progress(pull, 0));
  const rowsAtStart = log.rows(all).length;
  assert.equal(rowsAtStart, 50);
  // 200 rounds of progress for each of the 50: 10,000 events that must not grow the log.
  for (let round = 1; round <= 200; round++) for (let pull = 0; pull < 50; pull++) log.add(progress(pull, round * 1000));
  assert.equal(log.runningPulls, 50);
  assert.equal(log.size, 50);
  const rows = log.rows(all);
  assert.equal(rows.length, 50);
  assert.ok(rows.every((row) => row.kind === 'running'));
  assert.equal((rows[0] as unknown as { progress: PullProgressEvent }).progress.bytesDone, 200_000, 'the row holds the latest progress');
  for (let pull = 0; pull < 50; pull++) log.add(summary(pull, []));
  assert.equal(log.runningPulls, 0);
  // A progress event that arrives after its summary (the backlog racing the stream) stays dead.
  log.add(progress(7, 999_999));
  assert.equal(log.runningPulls, 0);
  assert.deepEqual([...new Set(log.rows(all).map((row) => row.kind))], ['pull']);
  assert.equal(log.rows(all).length, 50);
});

test('a window open for a day: at most 10,000 events and a cap of running pulls, whatever arrives', async () => {
  const log = new (await loadPullLog())(10_000, 100);
  let n = 0;
  // 300 pulls that never finish (a client that vanished): only the newest 100 stay as rows.
  for (let pull = 0; pull < 300; pull++) log.add(progress(1000 + pull, 1));
  assert.equal(log.runningPulls, 100);
  for (let pull = 0; pull < 3000; pull++) {
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const event = request(n++, `10.0.1.${pull % 200}`);
      ids.push(event.id);
      log.add(event);
    }
    log.add(progress(pull, 500));
    log.add(summary(pull, ids));
    assert.ok(log.size <= 10_000 + 100, `bounded: ${log.size}`);
  }
  assert.ok(log.runningPulls <= 100, `running pulls capped: ${log.runningPulls}`);
  assert.equal(log.size - log.runningPulls, 10_000, 'the history holds the last 10,000 events');
  assert.ok(log.rows(all).length <= 10_000 + 100);
});

// The app's event log under live pulls: progress replaces a running pull's entry instead of
// filling the ring a new window reads, the summary ends it, and a pull whose summary never comes
// cannot grow the log without bound.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventLog } from '../../main/core/event-log.js';
import type { PullEvent, PullProgressEvent } from '../../main/shared/contract.js';

const time = new Date(1_700_000_000_000).toISOString();

function progress(pull: number, bytesDone: number): PullProgressEvent {
  return { type: 'pull-progress', id: `p${pull}`, time, client: '10.0.0.5', repository: `library/app-${pull}`, reference: 'latest', layersDone: 0, layersTotal: 3, bytesDone, bytesTotal: 3_000_000, bytesFromCache: 0, bytesPerSecond: 0, elapsedMs: 0, failed: false };
}

function summary(pull: number): PullEvent {
  return { type: 'pull', id: `p${pull}`, time, client: '10.0.0.5', repository: `library/app-${pull}`, reference: 'latest', blobs: 4, blobsFromCache: 0, bytes: 3_000_000, durationMs: 5000, ok: true, requestIds: [], summary: 'pulled' };
}

test('50 running pulls with thousands of progress events hold 50 entries, and their summaries replace them', () => {
  const log = new EventLog(2000);
  for (let round = 0; round < 400; round++) for (let pull = 0; pull < 50; pull++) log.add(progress(pull, round));
  assert.equal(log.runningPulls, 50);
  const recent = log.recent();
  assert.equal(recent.length, 50);
  assert.ok(recent.every((e) => e.type === 'pull-progress' && e.bytesDone === 399), 'each entry is the latest progress');
  for (let pull = 0; pull < 50; pull++) log.add(summary(pull));
  assert.equal(log.runningPulls, 0);
  assert.deepEqual([...new Set(log.recent().map((e) => e.type))], ['pull']);
  assert.equal(log.recentClients()[0]?.pulls, 50, 'progress is not counted as a pull');
});

test('pulls that never finish stay within the cap of running pulls', () => {
  const log = new EventLog(2000);
  for (let pull = 0; pull < 5000; pull++) log.add(progress(pull, 1));
  assert.ok(log.runningPulls <= 200, `${log.runningPulls} running`);
  assert.ok(log.recent().length <= 200);
});

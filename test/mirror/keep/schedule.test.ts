// The keep-warm schedule's nightly window, in a time zone that is not UTC (the window is local
// time), with an injected clock: the pure schedule, then the real engine's timer, which waits for
// the window, refreshes once inside it and not again until the next night. Also the engine's
// window prefetch: per-image and per-layer progress in status().prefetch until done.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createMirror, type KeepWarmImage } from '../../../mirror/index.js';
import { checkNightlyWindow, insideWindow, nextRefreshAt, parseClockTime } from '../../../mirror/keep/schedule.js';
import { pushImage } from '../../support/images.js';
import { startTestUpstream, type TestUpstream } from '../../support/upstream.js';
import { settle, storedDigests } from './pull-helpers.js';

// Node reads TZ again when it changes; Berlin is UTC+1 in January, so a UTC reading is caught.
process.env.TZ = 'Europe/Berlin';
const local = (text: string) => new Date(text).getTime();
const nightly = { start: '02:00', end: '05:00' };
const hour = 3_600_000;

let upstream: TestUpstream;

before(async () => {
  upstream = await startTestUpstream();
});

after(async () => {
  await upstream?.close();
});

test('a nightly window: at once inside it, else at its next start, and once a night', () => {
  const schedule = { everyMs: 6 * hour, nightly };
  assert.equal(new Date(local('2026-01-10T14:00')).toISOString(), '2026-01-10T13:00:00.000Z', 'the test runs in Berlin time');
  assert.equal(nextRefreshAt(local('2026-01-10T14:00'), schedule, null), local('2026-01-11T02:00'), 'afternoon: the coming night');
  assert.equal(nextRefreshAt(local('2026-01-10T01:30'), schedule, null), local('2026-01-10T02:00'), 'before the window: tonight');
  assert.equal(nextRefreshAt(local('2026-01-10T03:00'), schedule, null), local('2026-01-10T03:00'), 'inside the window: now');
  assert.equal(nextRefreshAt(local('2026-01-10T03:10'), schedule, local('2026-01-10T03:00')), local('2026-01-11T02:00'), 'ran tonight: not again until tomorrow');
  assert.equal(nextRefreshAt(local('2026-01-10T15:00'), schedule, local('2026-01-10T14:00')), local('2026-01-11T02:00'), 'a refresh by hand does not skip the night');
  const wrapping = { start: '23:00', end: '01:00' };
  assert.ok(insideWindow(local('2026-01-10T00:30'), wrapping) && insideWindow(local('2026-01-10T23:30'), wrapping) && !insideWindow(local('2026-01-10T01:00'), wrapping));
  assert.equal(nextRefreshAt(local('2026-01-10T08:00'), { everyMs: 6 * hour, nightly: null }, local('2026-01-10T07:00')), local('2026-01-10T13:00'), 'an interval counts from the last run');
  // Daylight saving (Berlin, 29 March 2026): the window keeps its wall-clock time, 23 hours later.
  const early = { start: '04:00', end: '06:00' };
  const afterSwitch = nextRefreshAt(local('2026-03-28T07:00'), { everyMs: hour, nightly: early }, local('2026-03-28T04:30'));
  assert.equal(afterSwitch, local('2026-03-29T04:00'));
  assert.equal(afterSwitch - local('2026-03-28T04:00'), 23 * hour);
  assert.throws(() => parseClockTime('25:00'), /not a time of day; write it as HH:MM/);
  assert.throws(() => checkNightlyWindow({ start: '02:00', end: '02:00' }), /starts and ends at the same time/);
});

test('the engine waits for the nightly window, refreshes inside it, then waits for the next night', async (t) => {
  const { hub, registry } = upstream;
  const image = await pushImage(registry.url, { repository: 'dockmirror/nightly', tag: '1', layers: [[{ path: '/etc/nightly.txt', content: 'night\n' }]] });
  const kept: KeepWarmImage = { registry: 'docker.io', repository: image.repository, tag: '1', platforms: null };
  const cacheDir = await mkdtemp(join(tmpdir(), 'dockmirror-nightly-'));
  t.after(() => rm(cacheDir, { recursive: true, force: true }));
  const clock = { now: local('2026-01-10T14:00') };
  const mirror = createMirror({ cacheDir, upstream: upstream.url, minFreeBytes: 0, now: () => clock.now, keepWarm: { images: [kept], nightly } });
  hub.resetStats();
  await mirror.start({ host: '127.0.0.1', port: 0 });
  t.after(() => mirror.stop());
  const [waiting] = mirror.status().keepWarm!;
  assert.equal(waiting!.result, 'waiting');
  assert.equal(waiting!.nextRefresh, new Date(local('2026-01-11T02:00')).toISOString());
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(hub.stats().manifestHeads[image.repository] ?? 0, 0, 'refreshed outside the window');

  // The timer was set for the window's start by this clock; a replaced schedule re-reads it.
  clock.now = local('2026-01-11T02:00') - 40;
  await mirror.setKeepWarm({ images: [kept], nightly });
  clock.now = local('2026-01-11T02:00');
  await settle(() => mirror.status().keepWarm![0]!.result !== 'waiting', 'the refresh inside the window');
  const [done] = mirror.status().keepWarm!;
  assert.equal(done!.result, 'updated', JSON.stringify(done));
  assert.equal(done!.lastRefresh, new Date(local('2026-01-11T02:00')).toISOString());
  assert.equal(done!.nextRefresh, new Date(local('2026-01-12T02:00')).toISOString(), 'next: the following night');
  assert.ok((await storedDigests(cacheDir)).has(image.layers[0]!.digest), 'the kept image is in the cache');

  clock.now += hour;
  const [single] = await mirror.refreshKept(`docker.io/${image.repository}:1`);
  assert.equal(single!.result, 'unchanged', 'refresh now for one image');
  await assert.rejects(mirror.refreshKept('docker.io/library/other:1'), /not on the keep-warm list/);
});

test("the window's prefetch shows each image's layers and bytes, then done", async (t) => {
  const { registry } = upstream;
  const layers = ['one', 'two', 'three'].map((name) => [{ path: `/etc/prefetch-${name}.txt`, content: `${name}\n`.repeat(200_000) }]);
  const image = await pushImage(registry.url, { repository: 'dockmirror/window-prefetch', tag: '2', layers });
  const cacheDir = await mkdtemp(join(tmpdir(), 'dockmirror-window-prefetch-'));
  t.after(() => rm(cacheDir, { recursive: true, force: true }));
  const mirror = createMirror({ cacheDir, upstream: upstream.url, minFreeBytes: 0 });
  const started = await mirror.startPrefetch([`${image.repository}:2`, 'Not A Name']);
  assert.equal(started.running, true);
  await assert.rejects(mirror.startPrefetch(['alpine']), /already running/, 'a second prefetch while one runs');
  await settle(() => mirror.status().prefetch?.running === false, 'the prefetch ends');
  const [fetched, bad] = mirror.status().prefetch!.images;
  assert.equal(fetched!.image, `docker.io/${image.repository}:2`);
  assert.equal(fetched!.state, 'done', JSON.stringify(fetched));
  assert.equal(fetched!.layersTotal, 4, 'three layers and the config');
  assert.equal(fetched!.layersDone, 4);
  const expectedBytes = [image.config, ...image.layers].reduce((sum, blob) => sum + blob.size, 0);
  assert.equal(fetched!.bytesTotal, expectedBytes);
  assert.equal(fetched!.bytesDone, expectedBytes, 'bytes counted as they arrived');
  assert.equal(bad!.state, 'failed');
  assert.match(bad!.message!, /is not an image name/);
});

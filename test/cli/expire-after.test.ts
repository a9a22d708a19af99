// `dockmirror serve --expire-after DURATION` end to end: a child process on a real store, with a
// short expiry in place of days (the CLI has no injectable clock). An image nobody pulled for
// longer than the expiry is removed when the mirror starts; a pinned image as old stays, and so
// does the layer the removed image shared with a recent one.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createMirror } from '../../mirror/index.js';
import { startServeCli, type ServingCli } from '../support/cli-process.js';
import { pushImage } from '../support/images.js';
import { startTestUpstream, type TestUpstream } from '../support/upstream.js';
import { pullImage, settle, storedDigests } from '../mirror/keep/pull-helpers.js';

const expireAfterSeconds = 5;
let upstream: TestUpstream;
let dir: string;

before(async () => {
  upstream = await startTestUpstream();
  dir = await mkdtemp(join(tmpdir(), 'dockmirror-expire-cli-'));
});

after(async () => {
  await upstream?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function stop(cli: ServingCli): Promise<void> {
  cli.kill('SIGTERM');
  const exit = await cli.exited;
  assert.equal(exit.code, 0, exit.stderr);
}

test('serve --expire-after removes an old unpinned image at start, and keeps a pinned one and shared layers', async (t) => {
  const file = (name: string) => [{ path: `/etc/expire-cli/${name}.txt`, content: `${name}\n` }];
  const push = (repository: string, layers: string[]) => pushImage(upstream.registry.url, { repository, tag: '1', layers: layers.map(file) });
  const [old, pinned, recent] = await Promise.all([push('dockmirror/cli-expire-old', ['cli-shared', 'cli-old-own']), push('dockmirror/cli-expire-pinned', ['cli-pinned-own']), push('dockmirror/cli-expire-recent', ['cli-shared', 'cli-recent-own'])]);
  const cacheDir = join(dir, 'cache');
  const args = ['--cache', cacheDir, '--upstream', upstream.url, '--min-free', '0'];

  const first = await startServeCli(args);
  t.after(() => first.kill('SIGKILL'));
  await pullImage(first.base, old);
  await pullImage(first.base, pinned);
  // Older than the expiry by a margin; the recent image is pulled just before the restart.
  await new Promise((resolve) => setTimeout(resolve, (expireAfterSeconds + 1.5) * 1000));
  await pullImage(first.base, recent);
  await stop(first);
  // The owner pins in the window; here the engine does it on the same store while no mirror runs.
  await createMirror({ cacheDir, upstream: upstream.url, minFreeBytes: 0 }).pinImage('docker.io', pinned.repository, '1', true);
  const before = await storedDigests(cacheDir);
  assert.ok(before.has(old.layers[1]!.digest) && before.has(pinned.layers[0]!.digest));

  const second = await startServeCli([...args, '--expire-after', `${expireAfterSeconds}s`]);
  t.after(() => second.kill('SIGKILL'));
  await settle(async () => !(await storedDigests(cacheDir)).has(old.layers[1]!.digest), "the old image's own layer is removed");
  const stored = await storedDigests(cacheDir);
  assert.ok(!stored.has(old.digest) && !stored.has(old.config.digest), 'the old manifest and config go with it');
  assert.ok(stored.has(old.layers[0]!.digest), 'the layer the recent image shares stays');
  for (const blob of [pinned.digest, pinned.config.digest, pinned.layers[0]!.digest]) assert.ok(stored.has(blob), 'the pinned image lost a blob');
  for (const blob of [recent.digest, recent.config.digest, ...recent.layers.map((l) => l.digest)]) assert.ok(stored.has(blob), 'the recent image lost a blob');

  // The pinned image is still served from the cache, at no upstream cost.
  upstream.hub.resetStats();
  await pullImage(second.base, pinned);
  assert.equal(upstream.hub.stats().totalBlobBytesSent, 0);
  await stop(second);
});

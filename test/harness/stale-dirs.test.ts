// The harness's sweep of daemon dirs that a killed test process left behind: its daemon killed
// and its mount undone, while a dir whose owner still runs is kept.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { removeStaleDaemonDirs, runChecked, spawnDaemon, writeOwner } from '../support/clients/index.js';

test('a dir left by a killed test process is swept: its daemon killed, its mount undone; a live owner\'s dir is kept', async (t) => {
  const stale = await mkdtemp(join(tmpdir(), 'dmx-sweeptest-'));
  const live = await mkdtemp(join(tmpdir(), 'dmx-sweeptest-'));
  t.after(() => rm(live, { recursive: true, force: true }));
  // A daemon whose command line names its dir, like containerd --config DIR/config.toml.
  const daemon = spawnDaemon(process.execPath, ['-e', 'setInterval(() => {}, 1000)', stale]);
  t.after(() => daemon.stop());
  const gone = spawnDaemon('/usr/bin/true', []);
  await new Promise((resolve) => daemon.child.once('spawn', resolve));
  await new Promise((resolve) => gone.child.once('close', resolve));
  await mkdtemp(join(stale, 'data-'));
  const data = (await readdir(stale)).find((name) => name.startsWith('data-')) ?? '';
  await runChecked('/usr/bin/mount', ['--bind', join(stale, data), join(stale, data)]);
  await writeFile(join(stale, 'owner.json'), JSON.stringify({ owner: gone.child.pid, daemon: daemon.child.pid }));
  await writeOwner(live, undefined);

  const removed = await removeStaleDaemonDirs('dmx-sweeptest-');
  assert.deepEqual(removed, [stale]);
  await assert.rejects(stat(stale), { code: 'ENOENT' });
  assert.ok((await stat(live)).isDirectory());
  await new Promise((resolve) => (daemon.exited() ? resolve(undefined) : daemon.child.once('close', resolve)));
  assert.equal(daemon.child.signalCode, 'SIGKILL');
});

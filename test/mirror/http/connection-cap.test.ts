// How many client connections the mirror holds at once: below the fd limit with room for the
// store's files, and never more than memory allows however high the fd limit was raised (1,500
// stuck clients under a 4,096 limit took the engine past 100 MiB of RSS).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connectionCap, openFileLimit } from '../../../mirror/http/connection-limits.js';

test('the cap leaves fds for the store under a small limit, and stays at 512 under a large one', () => {
  assert.equal(connectionCap(512), 192);
  assert.equal(connectionCap(1024), 448);
  assert.equal(connectionCap(4096), 512);
  assert.equal(connectionCap(1_048_576), 512);
  assert.equal(connectionCap(undefined), 512);
  assert.equal(connectionCap(10), 8);
});

test('the fd limit is read from the limits file, and unlimited or unreadable means none', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dockmirror-limits-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'limits');
  await writeFile(file, 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            4096                 524288               files\n');
  assert.equal(await openFileLimit(file), 4096);
  await writeFile(file, 'Max open files            unlimited            unlimited            files\n');
  assert.equal(await openFileLimit(file), undefined);
  assert.equal(await openFileLimit(join(dir, 'missing')), undefined);
});

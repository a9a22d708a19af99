// The engine frees the upstream's dead socket buffers every few MiB (scavenge-pacer.ts) instead
// of letting V8 wait until 32 MiB of them are outstanding.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { request } from 'undici';
import { engineNodeFlags } from '../../mirror/process-flags.js';
import { ScavengePacer } from '../../mirror/scavenge-pacer.js';
import { startEngineProcess } from '../support/cli-process.js';
import { pushRandomImage } from '../support/images.js';
import { startRegistry } from '../support/registry.js';

const MiB = 1024 * 1024;

test('the pacer collects once per `everyBytes` received, whatever the chunk sizes', () => {
  let collections = 0;
  const pacer = new ScavengePacer(() => collections++, 4 * MiB);
  const count = pacer.counting(() => {});
  for (let i = 0; i < 63; i++) count(64 * 1024);
  assert.equal(collections, 0, 'not before 4 MiB came in');
  count(64 * 1024);
  assert.equal(collections, 1);
  for (let i = 0; i < 10; i++) count(MiB);
  assert.equal(collections, 3, '10 MiB more: two more collections, and 2 MiB toward the next');
  const withoutGc = new ScavengePacer(undefined, 4 * MiB);
  assert.doesNotThrow(() => withoutGc.received(64 * MiB), 'a process without --expose-gc just counts');
});

test('a cold 96 MiB download, in an engine started with its flags, holds well below the 32 MiB of young buffers V8 would wait for', async () => {
  const workDir = await mkdtemp(join(tmpdir(), 'dockmirror-dead-reads-'));
  const registry = await startRegistry();
  try {
    const image = await pushRandomImage(registry.url, { repository: 'library/dead-reads', tag: '1', sizeBytes: 96 * MiB });
    const layer = image.layers[0]!;
    const mirror = await startEngineProcess({ cacheDir: join(workDir, 'cache'), upstream: registry.url, minFreeBytes: 0, sampleMemoryMs: 5 }, { nodeFlags: engineNodeFlags });
    try {
      const response = await request(`${mirror.base}/v2/library/dead-reads/blobs/${layer.digest}`);
      assert.equal(response.statusCode, 200);
      const hash = createHash('sha256');
      for await (const chunk of response.body) hash.update(chunk as Buffer);
      assert.equal(`sha256:${hash.digest('hex')}`, layer.digest);
    } finally {
      mirror.kill('SIGTERM');
    }
    const { stdout } = await mirror.exited;
    const peak = Number(/array buffers peak (\d+)/.exec(stdout)?.[1]);
    assert.ok(peak > 0, `the engine printed no peak: ${stdout}`);
    // V8 alone lets 32 MiB of dead reads pile up on top of what is live (33-37 MiB at the peak,
    // measured); with the pacing, the 4 MiB disk backlog and what readers take from memory, a
    // few send buffers, an interval's dead reads and some promoted ones not yet collected
    // (13-26 MiB).
    assert.ok(peak < 30 * MiB, `the engine held ${(peak / MiB).toFixed(1)} MiB of ArrayBuffers at its peak`);
  } finally {
    await registry.stop();
    await rm(workDir, { recursive: true, force: true });
  }
});

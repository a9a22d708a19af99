// `dockmirror serve --keep-warm FILE --refresh-every DURATION` in a child process against the
// Docker Hub stand-in: the listed images (comments, registry prefixes, a --platform list) are
// fetched at start without any client, and then pulled at no upstream cost; a bad line or an
// unserved registry stops the start with one sentence naming the file and line.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { spawnCli, startServeCli } from '../../support/cli-process.js';
import { startTestUpstream, type TestUpstream } from '../../support/upstream.js';
import { pullImage, settle } from './pull-helpers.js';

let upstream: TestUpstream;
let dir: string;

before(async () => {
  upstream = await startTestUpstream();
  dir = await mkdtemp(join(tmpdir(), 'dockmirror-keep-cli-'));
});

after(async () => {
  await upstream?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('serve --keep-warm fetches the listed images at start, and a client then pulls them without the upstream', async (t) => {
  const { alpine, multi } = upstream.images;
  const platform = multi.manifests[0]!.platform;
  const list = join(dir, 'keep.txt');
  await writeFile(list, ['# images the morning needs', `docker.io/${alpine.repository}:latest`, '', `multi-test:latest --platform ${platform.os}/${platform.architecture}  # one platform`].join('\n'));
  const cacheDir = join(dir, 'cache');
  const cli = await startServeCli(['--cache', cacheDir, '--upstream', upstream.url, '--min-free', '0', '--keep-warm', list, '--refresh-every', '2h']);
  t.after(async () => {
    cli.kill('SIGTERM');
    await cli.exited;
  });
  assert.match(cli.stdout(), /Keeping 2 image\(s\) warm, refreshed every 120 min\./);
  const blobsWanted = [...alpine.layers, alpine.config, multi.manifests[0]!.config, ...multi.manifests[0]!.layers].map((b) => b.digest);
  await settle(() => blobsWanted.every((digest) => (upstream.hub.stats().blobBytesSent[digest] ?? 0) > 0), 'the kept images are fetched');
  assert.equal(upstream.hub.stats().blobGets[multi.manifests[1]!.layers[0]!.digest], undefined, 'a platform not listed was fetched');

  upstream.hub.resetStats();
  await pullImage(cli.base, alpine);
  assert.equal(upstream.hub.stats().totalBlobBytesSent, 0, 'the pull after the refresh cost upstream blob bytes');
  assert.equal(upstream.hub.countedPulls(), 0);
});

test('a bad keep-warm line or a registry the mirror does not serve stops the start with a sentence', async () => {
  const bad = join(dir, 'bad.txt');
  await writeFile(bad, 'alpine:3.20\nnginx:1.27 --platform amd64\n');
  const first = await spawnCli(['serve', '--cache', join(dir, 'c1'), '--listen', '127.0.0.1:0', '--keep-warm', bad]).exited;
  assert.equal(first.code, 1);
  assert.match(first.stderr, /bad\.txt, line 2: "amd64" is not a platform; write os\/arch/);

  const unserved = join(dir, 'unserved.txt');
  await writeFile(unserved, 'ghcr.io/owner/app:1\n');
  const second = await spawnCli(['serve', '--cache', join(dir, 'c2'), '--listen', '127.0.0.1:0', '--no-default-registries', '--keep-warm', unserved]).exited;
  assert.equal(second.code, 1);
  assert.match(second.stderr, /ghcr\.io\/owner\/app:1 is on ghcr\.io, which this mirror does not serve/);
  assert.ok(!second.stderr.includes('    at '), 'a stack trace reached the person');
});

// `dockmirror serve` with --registry NAME=URL, --upstream and --no-default-registries, as a real
// process against two real upstreams: what it serves, what it refuses, and its plain errors.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { spawnCli, startServeCli } from '../support/cli-process.js';
import { repositoriesSeen, startSecondUpstream, type SecondUpstream } from '../support/second-upstream.js';
import { startTestUpstream, type TestUpstream } from '../support/upstream.js';

let hub: TestUpstream;
let ghcr: SecondUpstream;
let dir: string;

before(async () => {
  [hub, ghcr] = await Promise.all([startTestUpstream(), startSecondUpstream()]);
  dir = await mkdtemp(join(tmpdir(), 'dockmirror-cli-registries-'));
});

after(async () => {
  await ghcr?.close();
  await hub?.close();
  await rm(dir, { recursive: true, force: true });
});

async function code(response: Response): Promise<string> {
  return ((await response.json()) as { errors: { code: string; message: string }[] }).errors[0]!.code;
}

test('--registry points ghcr.io at its upstream, --upstream is docker.io, --no-default-registries leaves the rest out', async (t) => {
  const cli = await startServeCli(['--cache', join(dir, 'a'), '--upstream', hub.url, '--registry', `ghcr.io=${ghcr.url}`, '--no-default-registries', '--log-level', 'warn']);
  t.after(() => cli.kill('SIGKILL'));
  assert.match(cli.stdout(), /serving docker\.io \(from http:\/\/127\.0\.0\.1:\d+\), ghcr\.io on/);
  hub.hub.resetStats();
  ghcr.hub.resetStats();
  const app = await fetch(`${cli.base}/v2/ghcr.io/${ghcr.image.repository}/manifests/${ghcr.image.tag}`);
  assert.equal(app.status, 200);
  assert.equal(app.headers.get('docker-content-digest'), ghcr.image.digest);
  await app.arrayBuffer();
  const alpine = await fetch(`${cli.base}/v2/alpine-test/manifests/latest?ns=docker.io`);
  assert.equal(alpine.status, 200);
  await alpine.arrayBuffer();
  const quay = await fetch(`${cli.base}/v2/coreos/etcd/manifests/latest?ns=quay.io`);
  assert.equal(quay.status, 404, 'built-in registries are off');
  assert.equal(await code(quay), 'NAME_UNKNOWN');
  assert.deepEqual([...repositoriesSeen(ghcr.hub)], ['owner/app']);
  assert.deepEqual([...repositoriesSeen(hub.hub)], ['library/alpine-test']);
});

test('a --registry value that is not NAME=URL, or a bad name or URL, ends in one sentence and exit code 1', async () => {
  const cases: [string, RegExp][] = [
    ['ghcr.io', /is not a registry; write it like --registry ghcr\.io=https:\/\/ghcr\.io/],
    ['ghcr.io=ftp://ghcr.io', /The upstream URL for ghcr\.io must start with https:\/\/ or http:\/\//],
    ['../x=https://x.io', /"\.\.\/x" is not a registry name/],
    ['ghcr.io=https://user:pw@ghcr.io', /may not hold credentials/],
  ];
  for (const [value, sentence] of cases) {
    const exit = await spawnCli(['serve', '--listen', '127.0.0.1:0', '--cache', join(dir, 'b'), '--registry', value]).exited;
    assert.equal(exit.code, 1, value);
    assert.match(exit.stderr, sentence, value);
    assert.doesNotMatch(exit.stderr, /\n\s+at /, 'no stack trace');
  }
});

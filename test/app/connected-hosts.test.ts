// The app's connected-hosts list end to end: the core with its engine in a real child process
// serves /setup/docker, the script (run with dash) reports to it, a pull follows, and the list in
// the app's state shows the host with runtime, version, setup time, last pull and bytes; a new
// core on the same data folder (a restart) still lists it.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createAppCore } from '../../main/core/app-core.js';
import type { ConnectedHost, MirrorEvent } from '../../main/shared/contract.js';
import { connectedHostsFile } from '../../main/core/connected-hosts.js';
import { sessionKeychain } from '../../main/core/memory-stores.js';
import { EngineProcess } from '../../main/engine-process/engine-process.js';
import { nodeChannelOpener } from '../../main/engine-process/node-channel.js';
import { requireBinary, runCommand } from '../support/clients/index.js';
import { blobsOf } from '../support/images.js';
import { findFreePort } from '../support/ports.js';
import { startTestUpstream, type TestUpstream } from '../support/upstream.js';

let upstream: TestUpstream;
let dataDir: string;

before(async () => {
  await requireBinary('/usr/bin/dash');
  await requireBinary('/usr/bin/curl');
  upstream = await startTestUpstream();
  dataDir = await mkdtemp(join(tmpdir(), 'dm-hosts-'));
});

after(async () => {
  await upstream?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function waitFor<T>(find: () => T | undefined, what: string, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function startCore(): ReturnType<typeof createAppCore> {
  const engines = new EngineProcess({ open: nodeChannelOpener, restart: { firstDelayMs: 200, maxDelayMs: 5_000, stableMs: 60_000 } });
  return createAppCore({ dataDir, keychain: sessionKeychain(), engines, tuning: { registryName: 'docker.io', minFreeBytes: 0 } });
}

test('a host that ran the docker script and pulled is listed, and still is after a restart', async () => {
  const core = startCore();
  let closed = false;
  try {
    await core.open();
    await core.updateSettings({ listenHost: '127.0.0.1', port: await findFreePort(), upstream: upstream.url });
    await core.startMirror();
    const base = `http://127.0.0.1:${core.currentState().settings.port}`;
    const script = join(dataDir, 'setup-docker.sh');
    await writeFile(script, await (await fetch(`${base}/setup/docker`)).text());
    const run = await runCommand('/usr/bin/dash', [script, '--root', join(dataDir, 'host-root')]);
    assert.equal(run.code, 0, run.output);
    assert.match(run.stdout, /The mirror now lists .* as a connected docker host/);

    const seen: MirrorEvent[] = [];
    core.onEvent((event) => seen.push(event));
    const image = upstream.images.alpine;
    const manifest = await fetch(`${base}/v2/${image.repository}/manifests/${image.tag}`, { headers: { accept: image.mediaType } });
    assert.equal(manifest.status, 200);
    await manifest.arrayBuffer();
    for (const blob of blobsOf(image)) await (await fetch(`${base}/v2/${image.repository}/blobs/${blob.digest}`)).arrayBuffer();

    const host = await waitFor(() => {
      const found = core.currentState().connectedHosts?.find((h) => h.address === '127.0.0.1');
      return found?.lastPullAt && found.setUpAt ? found : undefined;
    }, 'the host with its setup and its pull in the app state');
    assert.equal(host.runtime, 'docker');
    assert.match(host.version, /^\d+\.\d+/);
    assert.ok(host.bytesServed >= blobsOf(image).reduce((sum, blob) => sum + blob.size, 0), JSON.stringify(host));
    assert.equal(host.refused, false);
    // The app names the pull's client by the hostname the script reported, live and in the summary.
    const pullEvents = seen.filter((e) => (e.type === 'pull-progress' || e.type === 'pull') && e.repository === image.repository);
    assert.deepEqual([...new Set(pullEvents.map((e) => e.type))], ['pull-progress', 'pull']);
    assert.ok(host.hostname && pullEvents.every((e) => 'hostname' in e && e.hostname === host.hostname), JSON.stringify(pullEvents.map((e) => [e.type, 'hostname' in e && e.hostname])));
    assert.equal((await core.recentEvents()).filter((e) => e.type === 'pull-progress').length, 0, 'a finished pull is no longer listed as running');
    await core.shutdown();
    closed = true;

    const stored = JSON.parse(await readFile(join(dataDir, connectedHostsFile), 'utf8')) as { hosts: ConnectedHost[] };
    assert.deepEqual(stored.hosts.map((h) => h.address), ['127.0.0.1']);
    const again = startCore();
    try {
      await again.open();
      const state = await again.getState();
      assert.deepEqual(state.connectedHosts?.find((h) => h.address === '127.0.0.1'), host);
    } finally {
      await again.shutdown();
    }
  } finally {
    if (!closed) await core.shutdown();
  }
});

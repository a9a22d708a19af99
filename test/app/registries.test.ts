// The app's registry list (issue 13): the settings hold it with plain-sentence validation, and
// the engine serves exactly the enabled entries, each from its own upstream.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { createAppCore } from '../../main/core/app-core.js';
import type { AppCore } from '../../main/core/app-host.js';
import type { AppSettings } from '../../main/shared/contract.js';
import { sessionKeychain } from '../../main/core/memory-stores.js';
import { defaultSettings, validateSettings } from '../../main/core/settings.js';
import { DEFAULT_HUB_USER } from '../support/hub.js';
import { EngineProcess } from '../../main/engine-process/engine-process.js';
import { nodeChannelOpener } from '../../main/engine-process/node-channel.js';
import { findFreePort } from '../support/ports.js';
import { repositoriesSeen, startSecondUpstream, type SecondUpstream } from '../support/second-upstream.js';
import { startTestUpstream, type TestUpstream } from '../support/upstream.js';

let hub: TestUpstream;
let ghcr: SecondUpstream;

before(async () => {
  [hub, ghcr] = await Promise.all([startTestUpstream(), startSecondUpstream()]);
});

after(async () => {
  await ghcr?.close();
  await hub?.close();
});

test('the default settings list the seven built-in registries, on; a bad entry is refused with a sentence', () => {
  const defaults = defaultSettings('/data');
  assert.deepEqual(defaults.registries.map((r) => r.name), ['docker.io', 'ghcr.io', 'quay.io', 'registry.k8s.io', 'gcr.io', 'public.ecr.aws', 'mcr.microsoft.com']);
  assert.ok(defaults.registries.every((r) => r.enabled && r.upstream === null));
  const cases: [AppSettings['registries'], RegExp][] = [
    [[{ name: '../etc', upstream: null, enabled: true }], /"\.\.\/etc" is not a registry name/],
    [[{ name: 'ghcr.io', upstream: null, enabled: true }, { name: 'ghcr.io', upstream: null, enabled: false }], /ghcr\.io is listed twice/],
    [[{ name: 'docker.io', upstream: 'https://mirror.team.lan', enabled: true }], /docker\.io's upstream is the Upstream setting/],
    [[{ name: 'nvcr.io', upstream: 'nvcr', enabled: true }], /The upstream URL for nvcr\.io, "nvcr", is not a URL/],
    [[{ name: 'nvcr.io', upstream: 'https://nvcr.io/v2/x', enabled: true }], /must be a bare address/],
  ];
  for (const [registries, sentence] of cases) assert.throws(() => validateSettings({ registries }, defaults), sentence);
  const added = validateSettings({ registries: [...defaults.registries, { name: 'nvcr.io', upstream: null, enabled: true }] }, defaults);
  assert.equal(added.registries.at(-1)!.name, 'nvcr.io');
});

async function startCore(t: TestContext, settings: Partial<AppSettings>, engines?: EngineProcess): Promise<{ core: AppCore; base: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'dm-core-registries-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const core = createAppCore({ dataDir, keychain: sessionKeychain(), engines, tuning: { minFreeBytes: 0 } });
  t.after(() => core.shutdown());
  await core.open();
  await core.updateSettings({ listenHost: '127.0.0.1', port: await findFreePort(), upstream: hub.url, ...settings });
  await core.startMirror();
  return { core, base: `http://127.0.0.1:${core.currentState().settings.port}` };
}

test('the engine serves the enabled registries from the settings, each from its own upstream; a turned-off one is a 404', async (t) => {
  const { core, base } = await startCore(t, {
    registries: [
      { name: 'docker.io', upstream: null, enabled: true },
      { name: 'ghcr.io', upstream: ghcr.url, enabled: true },
    ],
  });
  hub.hub.resetStats();
  ghcr.hub.resetStats();
  const app = await fetch(`${base}/v2/${ghcr.image.repository}/manifests/${ghcr.image.tag}?ns=ghcr.io`);
  assert.equal(app.status, 200);
  assert.equal(app.headers.get('docker-content-digest'), ghcr.image.digest);
  await app.arrayBuffer();
  const quay = await fetch(`${base}/v2/x/y/manifests/1?ns=quay.io`);
  assert.equal(quay.status, 404, 'quay.io is not in this list');
  await quay.arrayBuffer();
  assert.deepEqual([...repositoriesSeen(ghcr.hub)], [ghcr.image.repository]);
  assert.equal(repositoriesSeen(hub.hub).size, 0);

  await core.updateSettings({ registries: [{ name: 'docker.io', upstream: null, enabled: true }, { name: 'ghcr.io', upstream: ghcr.url, enabled: false }] });
  const off = await fetch(`${base}/v2/${ghcr.image.repository}/manifests/${ghcr.image.tag}?ns=ghcr.io`);
  assert.equal(off.status, 404);
  assert.match(((await off.json()) as { errors: { message: string }[] }).errors[0]!.message, /the registry ghcr\.io is turned off/);
  const listed = await core.listCache();
  assert.deepEqual(listed.map((r) => `${r.registry}/${r.repository}`), ['ghcr.io/owner/app'], 'a turned-off registry keeps its cached images listed');
});

test('credentials saved for ghcr.io go only to its own realm; docker.io stays anonymous; the window learns the user, never the token', (t) => credentialsOnlyToTheirRealm(t));

test('the same with the engine in its own process: the child asks for ghcr.io\'s credentials by name', (t) =>
  credentialsOnlyToTheirRealm(t, new EngineProcess({ open: nodeChannelOpener, restart: { firstDelayMs: 200, maxDelayMs: 5_000, stableMs: 60_000 } })));

async function credentialsOnlyToTheirRealm(t: TestContext, engines?: EngineProcess): Promise<void> {
  const { core, base } = await startCore(
    t,
    {
      registries: [
        { name: 'docker.io', upstream: null, enabled: true },
        { name: 'ghcr.io', upstream: ghcr.url, enabled: true },
      ],
    },
    engines,
  );
  const status = await core.saveCredentials(DEFAULT_HUB_USER.username, DEFAULT_HUB_USER.password, 'ghcr.io');
  assert.equal(status.savedFor, null, 'no Docker Hub account');
  assert.deepEqual(status.registries, { 'ghcr.io': DEFAULT_HUB_USER.username });
  assert.ok(!JSON.stringify(core.currentState()).includes(DEFAULT_HUB_USER.password));
  hub.hub.resetStats();
  ghcr.hub.resetStats();
  for (const path of [`/v2/${ghcr.image.repository}/manifests/${ghcr.image.tag}?ns=ghcr.io`, '/v2/alpine-test/manifests/latest']) {
    const response = await fetch(`${base}${path}`);
    assert.equal(response.status, 200, path);
    await response.arrayBuffer();
  }
  assert.ok(ghcr.hub.stats().tokenRequests.some((r) => r.username === DEFAULT_HUB_USER.username), 'ghcr.io got its account');
  assert.ok(hub.hub.stats().tokenRequests.length > 0);
  assert.ok(hub.hub.stats().tokenRequests.every((r) => r.username === null), 'Docker Hub never saw the ghcr.io account');
  const tested = await core.testCredentials('ghcr.io');
  assert.equal(tested.ok, true, tested.message);
  const deleted = await core.deleteCredentials('ghcr.io');
  assert.equal(deleted.registries, undefined, 'no registry has an account any more');
}

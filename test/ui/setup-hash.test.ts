// The sha256 the window shows next to the one-liner must be the sha256 of what GET /setup/<runtime>
// serves, byte for byte, in every configuration: several registries or one, client login off or
// on, a client password saved or not. The real app core (engine in its own process, as the app
// runs it), its window in real Chromium, and the mirror's own /setup routes over real HTTP.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createAppCore } from '../../main/core/app-core.js';
import type { AppCore } from '../../main/core/app-host.js';
import { sessionKeychain } from '../../main/core/memory-stores.js';
import { EngineProcess } from '../../main/engine-process/engine-process.js';
import { startHeadless } from '../../main/headless/server.js';
import { artifacts, launchChromium, requireChromium } from '../support/chromium.js';
import { findFreePort } from '../support/ports.js';

declare const document: { querySelector(selector: string): { textContent: string | null } | null };

const runtimes = ['docker', 'containerd', 'podman', 'k3s'] as const;
const password = 'correct horse battery';
let dir: string;
let browser: Browser | undefined;

before(async () => {
  await requireChromium();
  dir = await mkdtemp(join(tmpdir(), 'dmx-ui-hash-'));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A core on `dir/app` (a second one on the same folder is a restart), its window open on Connect hosts. */
async function openApp(t: TestContext): Promise<{ api: AppCore; page: Page }> {
  const api = createAppCore({ dataDir: join(dir, 'app'), keychain: sessionKeychain(), engines: new EngineProcess(), tuning: { registryName: 'docker.io', minFreeBytes: 0 } });
  t.after(() => api.shutdown());
  await api.open();
  const server = await startHeadless(api, { host: '127.0.0.1', port: 0 });
  t.after(() => server.close());
  const page = await browser!.newPage({ viewport: { width: 1400, height: 900 } });
  t.after(() => page.close());
  await page.goto(server.url);
  await page.waitForSelector('#app[data-ready="true"]');
  await page.click('#nav-connect');
  await page.waitForSelector('#setup-sha256');
  return { api, page };
}

/** For every runtime: the window's hash must become the served script's; returns the served scripts. */
async function assertHashesMatch(api: AppCore, page: Page, label: string): Promise<Record<(typeof runtimes)[number], string>> {
  const state = await api.getState();
  assert.equal(state.mirror.serving, true, `${label}: the mirror serves`);
  const base = `http://127.0.0.1:${state.mirror.listen!.port}`;
  const scripts = { docker: '', containerd: '', podman: '', k3s: '' };
  for (const runtime of runtimes) {
    const response = await fetch(`${base}/setup/${runtime}`);
    assert.equal(response.status, 200);
    const served = Buffer.from(await response.arrayBuffer());
    scripts[runtime] = served.toString('utf8');
    const expected = createHash('sha256').update(served).digest('hex');
    await page.selectOption('#setup-runtime', runtime);
    try {
      await page.waitForFunction((hash) => document.querySelector('#setup-sha256')?.textContent === hash, expected, { timeout: 5_000 });
    } catch {
      assert.equal(await page.textContent('#setup-sha256'), expected, `${label}: the window's sha256 of /setup/${runtime}`);
    }
  }
  await page.screenshot({ path: join(artifacts, `setup-hash-${label.replace(/\W+/g, '-')}.png`) });
  return scripts;
}

test('the window\'s sha256 is the served script\'s with several registries or one, login off or on, a password saved or not', async (t) => {
  const first = await openApp(t);
  const port = await findFreePort();
  await first.api.updateSettings({ listenHost: '127.0.0.1', port, upstream: 'http://127.0.0.1:9', startMirrorOnLaunch: false });
  await first.api.startMirror();
  const { registries } = (await first.api.getState()).settings;
  assert.ok(registries.filter((r) => r.enabled).length >= 3, 'the built-in registries are all on');
  const several = await assertHashesMatch(first.api, first.page, 'several registries, login off');
  assert.doesNotMatch(several.docker, /docker login/);
  // The scripts configure every enabled registry (the "every enabled registry").
  for (const name of ['docker.io', 'ghcr.io', 'quay.io']) assert.match(several.containerd, new RegExp(`certs\\.d/${name.replace('.', '\\.')}/hosts\\.toml`));

  await first.api.updateSettings({ registries: registries.map((r) => ({ ...r, enabled: r.name === 'docker.io' })) });
  const one = await assertHashesMatch(first.api, first.page, 'docker.io only, login off');
  assert.doesNotMatch(one.containerd, /ghcr\.io/);

  await first.api.setClientPassword(password);
  assert.doesNotMatch((await assertHashesMatch(first.api, first.page, 'password saved, login off')).docker, /docker login/);

  await first.api.updateSettings({ registries, clientAuth: { enabled: true, username: 'lan' } });
  assert.match((await assertHashesMatch(first.api, first.page, 'password saved, login on')).docker, /docker login/);
  await first.api.shutdown();

  // A restart with the session keychain emptied: login is on and no password is saved, so the
  // mirror cannot start; once a password is saved it does, and the hash must follow.
  const second = await openApp(t);
  assert.equal((await second.api.getState()).settings.clientAuth.enabled, true);
  await assert.rejects(second.api.startMirror(), /client password/);
  await second.api.setClientPassword(password);
  await second.api.startMirror();
  assert.match((await assertHashesMatch(second.api, second.page, 'login on, password saved after start failed')).docker, /docker login/);
});

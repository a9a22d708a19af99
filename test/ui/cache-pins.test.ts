// The Cache view in real Chromium against the real app core and engine: after a real `docker
// pull` through the mirror (dockerd resolves the tag with a HEAD and fetches by digest) the
// image's "Last pull" shows the pull instead of "never"; pinning it from the window marks it,
// and the engine keeps the pin.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { createAppCore } from '../../main/core/app-core.js';
import { sessionKeychain } from '../../main/core/memory-stores.js';
import { startHeadless } from '../../main/headless/server.js';
import { mirrorUrlFor } from '../../main/shared/snippets.js';
import { startDockerd, type RunningDockerd } from '../support/clients/dockerd.js';
import { findFreePort } from '../support/ports.js';
import { startTestUpstream, type TestUpstream } from '../support/upstream.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const artifacts = fileURLToPath(new URL('../../../test/artifacts/', import.meta.url));

let dir: string;
let upstream: TestUpstream | undefined;
let dockerd: RunningDockerd | undefined;
let browser: Browser | undefined;

before(async () => {
  await access(CHROMIUM);
  await mkdir(artifacts, { recursive: true });
  dir = await mkdtemp(join(tmpdir(), 'dmx-ui-pins-'));
});

after(async () => {
  await browser?.close();
  await dockerd?.stop();
  await upstream?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('after a real docker pull the Cache view shows its last pull, and a pin from the window marks the image', async (t) => {
  upstream = await startTestUpstream();
  const port = await findFreePort();
  const api = createAppCore({ dataDir: join(dir, 'app'), keychain: sessionKeychain(), tuning: { registryName: 'docker.io', minFreeBytes: 0 } });
  t.after(() => api.shutdown());
  await api.open();
  await api.updateSettings({ listenHost: '127.0.0.1', port, upstream: upstream.url, startMirrorOnLaunch: false });
  await api.startMirror();
  const server = await startHeadless(api, { host: '127.0.0.1', port: 0 });
  t.after(() => server.close());
  dockerd = await startDockerd({ mirrors: [mirrorUrlFor('127.0.0.1', port)], daemonConfig: { 'log-level': 'warn' } });

  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(server.url);
  await page.waitForSelector('#app[data-ready="true"]');

  const pulled = await dockerd.pull('alpine-test:latest');
  assert.ok(pulled.ok, pulled.output);
  await page.click('#nav-cache');
  const row = page.locator('tr.image', { hasText: 'latest' });
  await row.waitFor();
  // "Last pull" is written just after the manifest answer; Refresh until the listing has it.
  const deadline = Date.now() + 5_000;
  while ((await row.locator('td.last-pull').textContent()) === 'never' && Date.now() < deadline) {
    await page.click('.cache .view-head >> text=Refresh');
    await page.waitForTimeout(100);
  }
  assert.notEqual(await row.locator('td.last-pull').textContent(), 'never', 'the Cache view says the image just pulled was never pulled');

  await row.locator('button.pin').click();
  await page.waitForSelector('tr.image button.pin[aria-pressed="true"]');
  assert.equal(await row.locator('button.pin').textContent(), 'Pinned');
  const listed = (await api.listCache()).flatMap((r) => r.images);
  assert.equal(listed.find((i) => i.reference === 'latest')?.pinned, true, 'the engine does not hold the pin');
  assert.match((await page.locator('.kept-totals').textContent()) ?? '', /Pinned or kept warm: [1-9]/);
  await page.screenshot({ path: join(artifacts, 'e2e-cache-pins.png') });
  assert.deepEqual(problems, []);
});

// The Cache view in real Chromium against the real app core and engine: after a real `docker
// pull` through the mirror (dockerd resolves the tag with a HEAD and fetches by digest) the
// image's "Last pull" shows the pull instead of "never"; pinning it from the window marks it,
// and the engine keeps the pin. "Last pull" counts the one host that pulled it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { artifacts, launchChromium, requireChromium } from '../support/chromium.js';
import { startDockerd, type RunningDockerd } from '../support/clients/dockerd.js';
import { startRealApp } from '../support/real-app.js';
import { startTestUpstream, type TestUpstream } from '../support/upstream.js';

let dir: string;
let upstream: TestUpstream | undefined;
let dockerd: RunningDockerd | undefined;
let browser: Browser | undefined;

before(async () => {
  await requireChromium();
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
  const { api, windowUrl, mirrorUrl } = await startRealApp(t, dir, upstream.url);
  await api.startMirror();
  dockerd = await startDockerd({ mirrors: [mirrorUrl], daemonConfig: { 'log-level': 'warn' } });

  browser = await launchChromium();
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(windowUrl);
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
  // dockerd pulled from this host alone: one address, however many requests the pull took.
  assert.match((await row.locator('td.last-pull').textContent()) ?? '', / by 1 host$/);

  await row.locator('button.pin').click();
  await page.waitForSelector('tr.image button.pin[aria-pressed="true"]');
  assert.equal(await row.locator('button.pin').textContent(), 'Pinned');
  const listed = (await api.listCache()).flatMap((r) => r.images);
  assert.equal(listed.find((i) => i.reference === 'latest')?.pinned, true, 'the engine does not hold the pin');
  assert.match((await page.locator('.kept-totals').textContent()) ?? '', /Pinned or kept warm: [1-9]/);
  await page.screenshot({ path: join(artifacts, 'e2e-cache-pins.png') });
  assert.deepEqual(problems, []);
});

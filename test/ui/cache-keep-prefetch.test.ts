// The Cache view's keep-warm and prefetch cards in real Chromium against the real app core and
// engine on the Docker Hub stand-in: a pasted list is prefetched with each image listed at once,
// its layers counted while one is held back upstream, then done; the prefetched image is kept
// warm from its row, "Refresh now" shows the result in the keep-warm card, and the nightly
// schedule saved from the card reaches the settings.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { artifacts, launchChromium, requireChromium } from '../support/chromium.js';
import { pushImage } from '../support/images.js';
import { startRealApp } from '../support/real-app.js';
import { startTestUpstream, type TestUpstream } from '../support/upstream.js';

let dir: string;
let upstream: TestUpstream | undefined;
let browser: Browser | undefined;

before(async () => {
  await requireChromium();
  dir = await mkdtemp(join(tmpdir(), 'dmx-ui-keep-'));
});

after(async () => {
  await browser?.close();
  await upstream?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('prefetch a pasted list with per-image progress, then keep an image warm and refresh it from the window', async (t) => {
  upstream = await startTestUpstream();
  const layers = ['first', 'second'].map((name) => [{ path: `/etc/${name}.txt`, content: `${name}\n` }]);
  const image = await pushImage(upstream.registry.url, { repository: 'dockmirror/ui-prefetch', tag: '1', layers });
  const other = upstream.images.alpine;
  // The second layer is held back upstream, so the window is seen mid-way.
  upstream.hub.injectBlobFault(image.layers[1]!.digest, { kind: 'delay', ms: 2_500 }, 1);
  const { api, windowUrl } = await startRealApp(t, dir, upstream.url);
  await api.startMirror();

  browser = await launchChromium();
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 1400 } })).newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(windowUrl);
  await page.waitForSelector('#app[data-ready="true"]');
  await page.click('#nav-cache');

  const name = `docker.io/${image.repository}:1`;
  await page.fill('#prefetch-list', `# before going offline\n${image.repository}:1\n${other.repository}:${other.tag}\n`);
  await page.click('.prefetch >> button:has-text("Prefetch")');
  const row = page.locator(`tr.prefetch-image[data-image="${name}"]`);
  await page.waitForSelector(`tr.prefetch-image[data-image="docker.io/${other.repository}:${other.tag}"]`);
  await page.waitForSelector(`tr.prefetch-image.running[data-image="${name}"]`);
  await page.waitForFunction((n) => /^[12] \/ 3$/.test(document.querySelector(`tr.prefetch-image[data-image="${n}"] .prefetch-layers`)?.textContent ?? ''), name);
  assert.match((await page.locator('.prefetch-summary').textContent()) ?? '', /Prefetching: \d of 2/);
  await page.waitForSelector(`tr.prefetch-image.done[data-image="${name}"]`, { timeout: 15_000 });
  assert.equal(await row.locator('.prefetch-layers').textContent(), '3 / 3');
  await page.waitForSelector('.prefetch-summary:has-text("Prefetch finished: 2 image(s) cached")');

  // Keep the prefetched image warm from its row in the cache table, then refresh it.
  const cached = page.locator('tr.image', { has: page.locator(`td[title="${image.digest}"]`) });
  await cached.waitFor();
  await cached.locator('button.keep').click();
  await page.waitForSelector(`tr.kept-image[data-image="${name}"]`);
  const kept = page.locator(`tr.kept-image[data-image="${name}"]`);
  await kept.locator('button:has-text("Refresh now")').click();
  await page.waitForFunction((n) => document.querySelector(`tr.kept-image[data-image="${n}"] .kept-result`)?.textContent === 'Unchanged', name);
  assert.notEqual(await kept.locator('.last-refresh').textContent(), 'never');
  assert.equal(await cached.locator('button.keep').getAttribute('aria-pressed'), 'true');

  await page.selectOption('#keep-mode', 'nightly');
  await page.fill('#keep-from', '01:30');
  await page.fill('#keep-to', '04:00');
  await page.click('.keep-warm >> button:has-text("Save schedule")');
  const deadline = Date.now() + 5_000;
  while ((await api.getState()).settings.keepWarm.nightly === null && Date.now() < deadline) await page.waitForTimeout(50);
  assert.deepEqual((await api.getState()).settings.keepWarm.nightly, { start: '01:30', end: '04:00' });
  await page.screenshot({ path: join(artifacts, 'e2e-cache-keep-prefetch.png'), fullPage: true });
  assert.deepEqual(problems, []);
});

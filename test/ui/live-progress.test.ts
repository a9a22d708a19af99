// Live pulls in real Chromium, end to end: the window served by the headless host over the real
// app core, whose engine runs in its own process as in the app; skopeo pulls a 4 MiB layer
// through it while the Hub stand-in's blob link runs at 1 MiB/s, so the pull takes seconds. The
// pull's row must show a progress bar before the pull ends, the bar must advance, and then the
// summary must replace the row. Screenshots go to test/artifacts/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { EngineProcess } from '../../main/engine-process/engine-process.js';
import { artifacts, launchChromium, requireChromium } from '../support/chromium.js';
import { skopeoCopy } from '../support/clients/skopeo.js';
import { pushRandomImage } from '../support/images.js';
import { startRealApp } from '../support/real-app.js';
import { startTestUpstream, type TestUpstream } from '../support/upstream.js';

let dir: string;
let upstream: TestUpstream | undefined;
let browser: Browser | undefined;

before(async () => {
  await requireChromium();
  dir = await mkdtemp(join(tmpdir(), 'dmx-ui-live-'));
});

after(async () => {
  await browser?.close();
  await upstream?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface BarReading {
  value: number;
  max: number;
  text: string;
}

async function runningBar(page: Page): Promise<BarReading | null> {
  const row = page.locator('.vrow.running', { hasText: 'dockmirror/live-ui' }).first();
  if ((await row.count()) === 0) return null;
  const bar = row.locator('progress');
  if (!(await bar.getAttribute('value').catch(() => null))) return null;
  const [value, max] = await bar.evaluate((el: unknown) => [(el as { value: number }).value, (el as { max: number }).max]);
  return { value, max, text: await row.innerText() };
}

async function until<T>(read: () => Promise<T | null>, ok: (value: T) => boolean, what: string, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (value !== null && ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('a slow pull shows a progress bar that advances before the pull ends, then its summary', async (t) => {
  upstream = await startTestUpstream();
  const image = await pushRandomImage(upstream.registry.url, { repository: 'dockmirror/live-ui', tag: '1', sizeBytes: 4 * 1024 * 1024 });
  const layerBytes = image.layers.reduce((sum, layer) => sum + layer.size, 0);
  upstream.hub.setBlobLinkRate(1024 * 1024);
  const { windowUrl, port } = await startRealApp(t, dir, upstream.url, new EngineProcess());

  browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1400, height: 700 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(windowUrl);
  await page.waitForSelector('#app[data-ready="true"]');
  await page.click('text=Start mirror');
  await page.waitForSelector('.badge[data-state="on"]');
  await page.click('#nav-live');

  let pullDone = false;
  const pulling = skopeoCopy(`docker://127.0.0.1:${port}/dockmirror/live-ui:1`, join(dir, 'copy'), { layout: 'dir' }).finally(() => (pullDone = true));

  const first = await until(() => runningBar(page), (bar) => bar.value > 0 && bar.value < bar.max, 'a progress bar part way', 20_000);
  assert.equal(pullDone, false, 'the row showed before the pull ended');
  assert.equal(first.max, layerBytes, 'the bar\'s total is the manifest\'s layer size');
  assert.match(first.text, /0\/1 layers, [\d.]+ [kMG]?B of 4\.2 MB/);
  assert.match(first.text, /\/s/);
  assert.match(first.text, /% from cache/);
  const row = page.locator('.vrow.running').first();
  assert.equal(await row.locator('progress').getAttribute('aria-label'), 'Progress of dockmirror/live-ui:1');
  await page.screenshot({ path: join(artifacts, 'live-pull-running-1.png') });

  const later = await until(() => runningBar(page), (bar) => bar.value > first.value, 'the bar to advance', 10_000);
  assert.equal(pullDone, false, 'the bar advanced while the pull ran');
  assert.ok(later.value > first.value);
  await page.screenshot({ path: join(artifacts, 'live-pull-running-2.png') });

  const pulled = await pulling;
  assert.ok(pulled.ok, pulled.output);
  const summary = page.locator('.vrow.pull .summary', { hasText: 'pulled dockmirror/live-ui:1' });
  await summary.first().waitFor({ timeout: 10_000 });
  assert.match((await summary.first().textContent()) ?? '', /^\S+ pulled dockmirror\/live-ui:1 — 2 blobs, /);
  assert.equal(await page.locator('.vrow.running', { hasText: 'dockmirror/live-ui' }).count(), 0, 'the summary replaced the running row');
  await page.screenshot({ path: join(artifacts, 'live-pull-summary.png') });
  assert.deepEqual(problems, []);
});

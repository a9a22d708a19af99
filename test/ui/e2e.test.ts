// End to end in real Chromium: the window served by the headless host drives a real mirror
// engine; a real dockerd pulls through it from the Docker Hub stand-in (distribution behind the
// token/rate-limit front). The pull must show up grouped in Live pulls, the cache can move to
// another folder and one image can be deleted, and the real daemon.json merges and copies.
// The window talks to the real app core, as `npm start` runs it headless.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { artifacts, launchChromium, requireChromium } from '../support/chromium.js';
import { startDockerd, type RunningDockerd } from '../support/clients/dockerd.js';
import { startRealApp } from '../support/real-app.js';
import { startTestUpstream, type TestUpstream } from '../support/upstream.js';

declare const document: { querySelector(selector: string): { textContent: string | null } | null };
declare const navigator: { clipboard: { readText(): Promise<string> } };

let dir: string;
let upstream: TestUpstream | undefined;
let dockerd: RunningDockerd | undefined;
let browser: Browser | undefined;

before(async () => {
  await requireChromium();
  dir = await mkdtemp(join(tmpdir(), 'dmx-ui-e2e-'));
});

after(async () => {
  await browser?.close();
  await dockerd?.stop();
  await upstream?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('a real docker pull through the mirror shows up in the window; the cache moves and an image is deleted', async (t) => {
  upstream = await startTestUpstream();
  const { api, windowUrl, port, mirrorUrl } = await startRealApp(t, dir, upstream.url);
  dockerd = await startDockerd({ mirrors: [mirrorUrl], daemonConfig: { 'log-level': 'warn' } });

  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(windowUrl).origin });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(windowUrl);
  await page.waitForSelector('#app[data-ready="true"]');

  // Start the mirror from the window.
  await page.click('text=Start mirror');
  await page.waitForSelector('.badge[data-state="on"]');
  assert.equal((await api.getState()).mirror.listen?.port, port);
  assert.equal((await api.getState()).mirror.serving, true);

  // A real pull, watched live.
  await page.click('#nav-live');
  const pulled = await dockerd.pull('alpine-test:latest');
  assert.ok(pulled.ok, pulled.output);
  const row = page.locator('.vrow.pull .summary', { hasText: 'pulled library/alpine-test:latest' });
  await row.first().waitFor({ timeout: 2000 }); // the promise: on screen within 2 s of the pull
  const summary = (await row.first().textContent()) ?? '';
  assert.match(summary, /^\S+ pulled library\/alpine-test:latest — \d+ blobs?, /);
  await page.locator('.vrow.pull .expander').first().click();
  await page.waitForSelector('.vrow.child');
  assert.match(await page.locator('.vrow.child').first().innerText(), /manifest library\/alpine-test/);
  await page.screenshot({ path: join(artifacts, 'e2e-live-real-pull.png') });

  // Move the cache to another folder with the folder browser.
  const newHome = join(dir, 'elsewhere');
  await mkdir(join(newHome, 'dockmirror-cache'), { recursive: true });
  await page.click('#nav-cache');
  await page.waitForSelector('tr.image');
  await page.click('text=Change folder…');
  await page.fill('#folder-path', newHome);
  await page.click('dialog >> text=Open');
  await page.click('dialog >> text=dockmirror-cache');
  await page.click('text=Choose this folder');
  await page.click('text=Move the cache there');
  await page.waitForFunction((p) => document.querySelector('.cache .path')?.textContent === p, join(newHome, 'dockmirror-cache'));
  assert.equal((await api.getState()).settings.cachePath, join(newHome, 'dockmirror-cache'));
  assert.ok((await readdir(join(newHome, 'dockmirror-cache'))).length > 0, 'the moved cache folder is empty');

  // The moved cache still lists the image; delete it from the window.
  await page.waitForSelector('tr.image');
  await page.screenshot({ path: join(artifacts, 'e2e-cache-real.png') });
  await page.click('button[aria-label="Delete docker.io/library/alpine-test:latest"]');
  await page.click('dialog button.danger');
  await page.waitForSelector('text=Nothing is cached yet');
  const left = await api.listCache();
  assert.equal(left.find((r) => r.repository === 'library/alpine-test')?.images.some((i) => i.reference === 'latest') ?? false, false);

  // Merge dockerd's real daemon.json and copy the result.
  const daemonJson = await readFile(join(dockerd.dir, 'daemon.json'), 'utf8');
  await page.click('#nav-connect');
  await page.fill('#daemon-existing', daemonJson);
  await page.getByRole('button', { name: 'Merge', exact: true }).click();
  await page.click('button[aria-label="Copy the merged daemon.json"]');
  const merged = JSON.parse(await page.evaluate(() => navigator.clipboard.readText())) as Record<string, unknown>;
  const original = JSON.parse(daemonJson) as Record<string, unknown>;
  assert.deepEqual(Object.keys(merged), Object.keys(original));
  assert.deepEqual(merged['registry-mirrors'], [mirrorUrl]);
  assert.match(await page.locator('.merge').innerText(), /already set up/);
  assert.match(await page.locator('#connected-hosts').innerText(), /127\.0\.0\.1/);
  await page.screenshot({ path: join(artifacts, 'e2e-connect-real.png') });
  assert.deepEqual(problems, []);
  await context.close();
});

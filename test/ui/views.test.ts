// The window's views in real Chromium, served by the headless host over a fake core: overview,
// live pulls with thousands of log lines, cache and folder browser, host snippets. Settings,
// keyboard, layout at both sizes and themes, reconnecting and the Electron host: views-access.test.ts.
// The real core + engine + dockerd run in e2e.test.ts.
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { PullEvent } from '../../mirror/public-types.js';
import { emitPull, shoot, go, uiHarness } from './page-harness.js';

const ui = uiHarness();
const open = ui.open;

test('the page opens with the token, then drops it from the address bar', async (t) => {
  const { page, problems } = await open(t);
  assert.doesNotMatch(page.url(), /token=/);
  await page.reload();
  await page.waitForSelector('#app[data-ready="true"]');
  assert.equal(await page.textContent('.badge'), 'Stopped');
  assert.deepEqual(problems, []);
});

test('overview: addresses with copy, stats, problems, start and stop', async (t) => {
  const { page, api, problems } = await open(t);
  const addresses = await page.locator('.addresses code').allTextContents();
  assert.deepEqual(addresses, ['http://192.168.1.20:5000', 'http://[fd00::20]:5000']);
  assert.match(await page.locator('.problems').innerText(), /Docker Hub cannot be reached/);
  const stats = await page.locator('.stats').innerText();
  assert.match(stats, /5\.4 GB/);
  assert.match(stats, /87 %/); // 610 of 700
  assert.match(stats, /41\.0 GB/);
  assert.match(stats, /76 \/ 100/);
  assert.match(stats, /106/); // 120 served − 14 sent upstream
  // Per registry: only the ones asked for, with what their upstream says.
  assert.deepEqual(await page.locator('table.registries tbody th').allTextContents(), ['docker.io', 'ghcr.io']);
  assert.match(await page.locator('table.registries').innerText(), /docker\.io\s+650\s+14\s+76 \/ 100 pulls left/);
  assert.match(await page.locator('table.registries').innerText(), /ghcr\.io\s+50\s+3\s+too many requests, retry in 30 s/);
  await shoot(page, 'overview-1400x900-light');
  await page.click('button[aria-label="Copy http://192.168.1.20:5000"]');
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), 'http://192.168.1.20:5000');
  await page.click('text=Start mirror');
  await page.waitForSelector('.badge[data-state="on"]');
  assert.deepEqual(api.calls, ['startMirror']);
  assert.equal(await page.textContent('.view-head .primary'), 'Stop mirror');
  assert.deepEqual(problems, []);
});

test('live pulls: grouped, expandable, filtered, paused, exported — and only visible rows in the DOM', async (t) => {
  const { page, api, problems } = await open(t);
  for (let n = 0; n < 3; n++) emitPull(api, n, '10.0.0.9', 'library/redis', '7');
  await go(page, 'live');
  // Backlog comes from recentEvents; new pulls from the event stream.
  const live = emitPull(api, 50, '10.0.0.21', 'library/nginx', 'latest');
  const newest = page.locator('.vrow.pull').first();
  await newest.waitFor();
  await page.waitForFunction((s) => document.querySelector('.vrow.pull .summary')?.textContent === s, live.summary);
  await newest.locator('.expander').click();
  await page.waitForSelector('.vrow.child');
  assert.equal(await page.locator('.vrow.child').count(), 8);
  assert.equal(await newest.locator('.expander').getAttribute('aria-expanded'), 'true');

  await page.selectOption('#live-client', '10.0.0.9');
  await page.waitForFunction(() => [...document.querySelectorAll('.vrow.pull:not([hidden]) .summary')].every((e) => e.textContent!.startsWith('10.0.0.9 ')));
  assert.equal(await page.locator('.vrow.pull:not([hidden])').count(), 3);
  await page.selectOption('#live-client', '');
  await page.fill('#live-image', 'nginx');
  await page.waitForFunction(() => document.querySelectorAll('.vrow.pull:not([hidden])').length === 1);
  await page.fill('#live-image', '');

  // Thousands of lines: 600 more pulls of 8 requests each (9 events with the pull). Only a screenful is rendered.
  for (let n = 100; n < 700; n++) emitPull(api, n, `10.0.${n % 4}.${n % 250}`, 'library/alpine', `3.${n}`);
  await page.waitForFunction(() => document.querySelector('.count')?.textContent?.startsWith('5436 events'));
  const rendered = await page.locator('.vrow').count();
  assert.ok(rendered < 100, `${rendered} row elements for 600+ pulls`);
  await page.locator('.vlist').evaluate((el) => el.scrollTo(0, 30 * 400));
  await page.waitForFunction(() => [...document.querySelectorAll('.vrow:not([hidden]) .summary')].some((e) => /library\/alpine:3\.(2[5-9]\d|30\d)/.test(e.textContent ?? '')));
  assert.equal(await page.getAttribute('text=Follow', 'aria-pressed'), 'false');
  await shoot(page, 'live-1400x900-light');

  await page.click('text=Pause');
  emitPull(api, 900, '10.0.0.99', 'library/busybox', 'latest');
  await page.waitForFunction(() => /9 waiting while paused/.test(document.querySelector('.count')?.textContent ?? ''));
  await page.click('text=Resume');
  await page.waitForFunction(() => document.querySelector('.count')?.textContent === '5445 events');

  const download = page.waitForEvent('download');
  await page.click('text=Export JSON lines');
  const file = await (await download).path();
  const lines = (await readFile(file, 'utf8')).trim().split('\n');
  assert.equal(lines.length, 5445);
  assert.equal((JSON.parse(lines.at(-1)!) as PullEvent).summary, api.events.at(-1)!.type === 'pull' ? (api.events.at(-1) as PullEvent).summary : '');

  await page.click('text=Clear');
  await page.waitForFunction(() => document.querySelector('.count')?.textContent === '0 events' && document.querySelectorAll('.vrow:not([hidden])').length === 0);
  assert.deepEqual(problems, []);
});

test('cache: list, delete one image after confirming, change the folder through the browser', async (t) => {
  const { page, api, problems } = await open(t);
  api.repositories = [
    {
      registry: 'docker.io',
      repository: 'library/nginx',
      bytes: 68_000_000,
      lastPulled: '2026-01-02T03:04:05.000Z',
      images: [
        { reference: 'latest', digest: 'sha256:' + 'a'.repeat(64), mediaType: 'application/vnd.oci.image.index.v1+json', bytes: 60_000_000, uniqueBytes: 60_000_000, sharedBytes: 0, platforms: [], lastPulled: '2026-01-02T03:04:05.000Z', pinned: false, keptWarm: false },
        { reference: '1.27', digest: 'sha256:' + 'b'.repeat(64), mediaType: 'application/vnd.oci.image.index.v1+json', bytes: 8_000_000, uniqueBytes: 8_000_000, sharedBytes: 0, platforms: [], lastPulled: null, pinned: false, keptWarm: false },
      ],
    },
  ];
  await go(page, 'cache');
  await page.waitForSelector('tr.image');
  assert.equal(await page.locator('tr.image').count(), 2);
  await shoot(page, 'cache-1400x900-light');
  assert.equal(await page.locator('tr.registry-group th').textContent(), 'docker.io', 'grouped by registry');
  assert.equal(await page.locator('tr.repo th').textContent(), 'docker.io/library/nginx', 'named as clients pull it');
  await page.click('button[aria-label="Delete docker.io/library/nginx:1.27"]');
  await page.click('dialog button.danger');
  await page.waitForFunction(() => document.querySelectorAll('tr.image').length === 1);
  assert.ok(api.calls.includes('deleteCachedImage docker.io library/nginx 1.27'));

  const target = join(ui.dir, 'new-home');
  await mkdir(join(target, 'cache-here'), { recursive: true });
  await page.click('text=Change folder…');
  await page.waitForSelector('dialog.folder-dialog');
  await page.fill('#folder-path', '/definitely/not/here');
  await page.press('#folder-path', 'Enter');
  await page.waitForFunction(() => /not a folder/.test(document.querySelector('dialog .hint')?.textContent ?? ''));
  await page.fill('#folder-path', target);
  await page.click('dialog >> text=Open');
  await page.click('dialog >> text=cache-here');
  await page.waitForFunction((p) => (document.querySelector('#folder-path') as HTMLInputElement).value === p, join(target, 'cache-here'));
  await shoot(page, 'cache-folder-browser-1400x900-light');
  await page.click('text=Choose this folder');
  await page.click('text=Move the cache there');
  await page.waitForFunction((p) => document.querySelector('.cache .path')?.textContent === p, join(target, 'cache-here'));
  assert.equal(api.state.settings.cachePath, join(target, 'cache-here'));
  assert.deepEqual(problems, []);
});

test('folder browser: a listing that comes back late does not overwrite the folder asked for since', async (t) => {
  const { page, api, problems } = await open(t);
  await go(page, 'cache');
  let answered!: () => void;
  const lateAnswer = new Promise<void>((resolve) => (answered = resolve));
  // The listing of the start folder, asked for as the dialog opens, is the slow one.
  api.slowListings.set(api.state.settings.cachePath, { delayMs: 600, answered });
  await page.click('text=Change folder…');
  await page.waitForSelector('dialog.folder-dialog');
  await page.fill('#folder-path', '/definitely/not/here');
  await page.press('#folder-path', 'Enter');
  await page.waitForFunction(() => /not a folder/.test(document.querySelector('dialog .hint')?.textContent ?? ''));
  await lateAnswer;
  // Time for the late answer to cross the socket and be handled by the page.
  await page.waitForTimeout(300);
  assert.match((await page.locator('dialog .hint').textContent()) ?? '', /not a folder/);
  assert.equal(await page.inputValue('#folder-path'), '/definitely/not/here');
  assert.deepEqual(problems, []);
});

test('connect hosts: snippets for every runtime, daemon.json errors by line, merged result copied, one list of hosts', async (t) => {
  const { page, api, problems } = await open(t);
  api.state.connectedHosts = [{ address: '10.0.0.21', hostname: 'build-01', runtime: 'docker', version: '26.1.5', setUpAt: null, lastPullAt: '2026-01-02T03:04:05.000Z', pulls: 3, bytesServed: 68_000_000, refused: false, fix: null, lastSeenAt: '2026-01-02T03:04:05.000Z' }];
  api.publish();
  await go(page, 'connect');
  assert.deepEqual(await page.locator('.snippet-card h3').allTextContents(), ['Docker Engine', 'containerd (nerdctl, Kubernetes)', 'Podman / CRI-O', 'k3s / RKE2', 'BuildKit (docker buildx)']);
  await page.selectOption('#connect-address', 'http://[fd00::20]:5000');
  assert.match(await page.locator('.snippet-card').nth(2).innerText(), /location = "\[fd00::20\]:5000"/);
  await page.selectOption('#connect-address', 'http://192.168.1.20:5000');
  await page.getByText('/etc/containerd/certs.d/docker.io/hosts.toml').waitFor();
  await page.click('button[aria-label="Copy the k3s / RKE2 snippet"]');
  assert.match(await page.evaluate(() => navigator.clipboard.readText()), /endpoint:\n\s+- "http:\/\/192\.168\.1\.20:5000"/);

  await page.fill('#daemon-existing', '{\n  "log-driver": "json-file",\n  "registry-mirrors": ["https://mirror.gcr.io"],\n}');
  await page.getByRole('button', { name: 'Merge', exact: true }).click();
  assert.match(await page.locator('.merge .error').innerText(), /Line 3, column 48: Trailing comma/);
  await page.fill('#daemon-existing', '{\n  "log-driver": "json-file",\n  "registry-mirrors": ["https://mirror.gcr.io"]\n}');
  await page.getByRole('button', { name: 'Merge', exact: true }).click();
  await page.waitForSelector('#daemon-merged');
  await page.click('button[aria-label="Copy the merged daemon.json"]');
  const copied = JSON.parse(await page.evaluate(() => navigator.clipboard.readText())) as Record<string, unknown>;
  assert.deepEqual(copied, { 'log-driver': 'json-file', 'registry-mirrors': ['http://192.168.1.20:5000', 'https://mirror.gcr.io'] });
  assert.match(await page.locator('.merge').innerText(), /Your other settings are kept/);
  assert.match(await page.locator('#connected-hosts').innerText(), /build-01 \(10\.0\.0\.21\)/);
  // The connected hosts are the one list of hosts: no second table of the same hosts.
  assert.equal(await page.locator('.view.connect table').count(), 1);
  assert.equal(await page.getByText('Recent clients').count(), 0);
  await shoot(page, 'connect-1400x900-light');
  assert.deepEqual(problems, []);
});

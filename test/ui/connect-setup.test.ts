// The Connect hosts view's setup card and connected-hosts list in real Chromium (issue 14): the
// one-liner for the chosen address and runtime, the sha256 of exactly the script the mirror
// serves (the same generator, hashed here in Node), the sha256sum-checked form, Docker Desktop's
// place for the JSON, and the hosts with their state in words. Screenshot to test/artifacts/.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { ConnectedHost } from '../../main/shared/contract.js';
import { startHeadless } from '../../main/headless/server.js';
import { runtimeScript } from '../../main/shared/setup/runtime-scripts.js';
import { artifacts, launchChromium, requireChromium } from '../support/chromium.js';
import { FakeApi } from '../support/fake-api.js';

// Page functions run in Chromium; the Node test build has no lib.dom.
declare const document: { querySelector(selector: string): { textContent: string | null } | null };

let browser: Browser;
let dir: string;

before(async () => {
  await requireChromium();
  dir = await mkdtemp(join(tmpdir(), 'dmx-ui-setup-'));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const at = (minute: number): string => new Date(Date.UTC(2026, 0, 2, 3, minute)).toISOString();
const hosts: ConnectedHost[] = [
  { address: '192.168.1.30', hostname: 'build-01', runtime: 'docker', version: '20.10.24', setUpAt: at(1), lastPullAt: at(5), pulls: 3, bytesServed: 68_000_000, refused: false, fix: null, lastSeenAt: at(5) },
  { address: '192.168.1.31', hostname: 'k3s-node', runtime: 'containerd', version: '1.6.20', setUpAt: at(2), lastPullAt: null, pulls: 0, bytesServed: 0, refused: false, fix: null, lastSeenAt: at(2) },
  { address: '198.51.100.7', hostname: '', runtime: '', version: '', setUpAt: null, lastPullAt: null, pulls: 0, bytesServed: 0, refused: true, fix: 'Add 198.51.100.7/32 (or its network) to the allowlist in Settings.', lastSeenAt: at(3) },
];

test('the setup card shows the one-liner with the served script\'s sha256; the hosts list says each host\'s state', async (t) => {
  const cache = join(dir, 'cache');
  await mkdir(cache, { recursive: true });
  const api = new FakeApi(cache);
  api.state.connectedHosts = hosts;
  const server = await startHeadless(api, { host: '127.0.0.1', port: 0 });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  t.after(async () => {
    await page.close();
    await server.close();
  });
  await page.goto(server.url);
  await page.waitForSelector('#app[data-ready="true"]');
  await page.click('#nav-connect');
  await page.waitForSelector('.view.connect:not([hidden])');
  await page.selectOption('#connect-address', 'http://192.168.1.20:5000');

  for (const runtime of ['docker', 'podman'] as const) {
    await page.selectOption('#setup-runtime', runtime);
    const expected = createHash('sha256').update(runtimeScript(runtime, { mirrorUrl: 'http://192.168.1.20:5000', registries: ['docker.io', 'ghcr.io', 'quay.io'], loginRequired: false })).digest('hex');
    await page.waitForFunction((hash) => document.querySelector('#setup-sha256')?.textContent === hash, expected);
    assert.equal(await page.textContent('#setup-one-liner'), `curl -fsSL 'http://192.168.1.20:5000/setup/${runtime}' | sudo sh`);
    assert.equal(await page.textContent('#setup-checked'), `curl -fsSL 'http://192.168.1.20:5000/setup/${runtime}' -o s && echo "${expected}  s" | sha256sum -c && sudo sh s`);
  }
  assert.match((await page.textContent('.setup-card'))!, /Settings → Docker Engine/);
  assert.match((await page.textContent('#setup-desktop-json'))!, /"registry-mirrors": \[\s*"http:\/\/192\.168\.1\.20:5000"\s*\]/);

  const rows = await page.$$eval('#connected-hosts tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  assert.equal(rows.length, 3);
  assert.deepEqual(rows[0]!.slice(0, 2), ['build-01 (192.168.1.30)', 'docker 20.10.24']);
  assert.match(rows[0]![4]!, /68(\.0)? MB/);
  assert.equal(rows[1]![3], 'Set up; no pull since');
  assert.equal(rows[2]![3], 'Refused by the allowlist. Add 198.51.100.7/32 (or its network) to the allowlist in Settings.');
  await page.screenshot({ path: join(artifacts, 'connect-setup-1400x900-light.png'), fullPage: true });
  assert.deepEqual(errors, []);
});

// The window says what the app chose for this machine and where its tray went: the core's
// notices, shown on the overview in real Chromium (through the headless host and a fake core),
// apart from the problems, and gone when the state has none.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { access } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { startHeadless } from '../../main/headless/server.js';
import { noTrayMessage } from '../../main/electron/no-tray.js';
import { FakeApi } from '../support/fake-api.js';

const CHROMIUM = '/usr/bin/chromium';

test('the overview shows the notices as status lines, apart from the problems', async (t) => {
  await access(CHROMIUM); // a missing browser fails the test, never skips it
  await access(fileURLToPath(new URL('../../renderer/index.html', import.meta.url)));
  const dir = await mkdtemp(join(tmpdir(), 'dm-notices-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const api = new FakeApi(dir);
  const portNotice = 'Port 5000 was taken by another program (on a Mac, AirPlay Receiver), so Dockmirror chose port 5001 and keeps it; Docker hosts use :5001, and Settings can change it.';
  api.state.notices = [
    { code: 'port-chosen', message: portNotice },
    { code: 'no-tray', message: noTrayMessage },
  ];
  const server = await startHeadless(api, { host: '127.0.0.1', port: 0 });
  t.after(() => server.close());
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
  t.after(() => browser.close());
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(server.url);
  await page.waitForSelector('#app[data-ready="true"]');
  const shown = await page.locator('.notices li[role="status"]').allTextContents();
  assert.deepEqual(shown, [portNotice, noTrayMessage]);
  assert.doesNotMatch(await page.locator('.problems').innerText(), /AirPlay|tray/);
  api.state.notices = [];
  await page.reload();
  await page.waitForSelector('#app[data-ready="true"]');
  assert.equal(await page.locator('.notices').isHidden(), true);
  assert.deepEqual(errors, []);
});

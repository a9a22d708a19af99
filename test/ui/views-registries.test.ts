// Settings → Registries in real Chromium: the registry list the engine serves, edited in the
// window, and one account per registry saved by name, whose token never reaches the page again.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { go, uiHarness } from './page-harness.js';

const ui = uiHarness();
const open = ui.open;

test('settings → registries: add one with its upstream, turn one off, save; its account is saved by name and the token never shows', async (t) => {
  const { page, api, problems } = await open(t);
  await go(page, 'settings');
  assert.deepEqual(await page.locator('tr.registry-setting th').allTextContents(), ['docker.io']);
  await page.fill('#registry-new-name', 'ghcr.io');
  await page.fill('#registry-new-upstream', 'https://ghcr.team.lan');
  await page.click('text=Add registry');
  await page.fill('#registry-new-name', 'quay.io');
  await page.click('text=Add registry');
  await page.uncheck('input[aria-label="Serve quay.io"]');
  await page.click('text=Save registries');
  await page.waitForFunction(() => /Registries saved/.test(document.querySelector('.toast')?.textContent ?? ''));
  assert.deepEqual(api.state.settings.registries, [
    { name: 'docker.io', upstream: null, enabled: true },
    { name: 'ghcr.io', upstream: 'https://ghcr.team.lan', enabled: true },
    { name: 'quay.io', upstream: null, enabled: false },
  ]);
  await page.fill('input[aria-label="User name for ghcr.io"]', 'alice');
  await page.fill('input[aria-label="Token for ghcr.io"]', 'ghp_secret_token');
  await page.click('button[aria-label="Save credentials for ghcr.io"]');
  await page.waitForFunction(() => /saved for alice/.test(document.querySelector('table.registries-settings')?.textContent ?? ''));
  assert.ok(api.calls.includes('saveCredentials ghcr.io'));
  assert.doesNotMatch(await page.content(), /ghp_secret_token/);
  await page.click('button[aria-label="Test credentials for ghcr.io"]');
  await page.waitForFunction(() => /Signed in/.test(document.querySelector('.toast')?.textContent ?? ''));
  assert.ok(api.calls.includes('testCredentials ghcr.io'));
  assert.deepEqual(problems, []);
});

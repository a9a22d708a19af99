// The window in real Chromium beyond its views' content: settings that reach the core, the
// keyboard, tidy layouts at 900×600 and 1400×900 in both themes (screenshots in test/artifacts/),
// reconnecting to a restarted host, and the Electron host's preload API instead of HTTP.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startHeadless } from '../../main/headless/server.js';
import { emitPull, shoot, go, uiHarness } from './page-harness.js';

const ui = uiHarness();
const open = ui.open;

test('settings: saved values reach the core, a bad value is explained, the token never shows', async (t) => {
  const { page, api, problems } = await open(t);
  await go(page, 'settings');
  assert.deepEqual(await page.locator('#set-listen option').evaluateAll((o) => o.map((x) => (x as HTMLOptionElement).value)), ['0.0.0.0', '::', '127.0.0.1', '192.168.1.20', 'fd00::20']);
  await page.fill('#set-port', '5080');
  await page.selectOption('#set-listen', '192.168.1.20');
  await page.fill('#set-allowlist', '10.0.0.0/8\n172.16.0.0/12');
  await page.check('#set-launch');
  assert.equal(await page.inputValue('#set-min-free'), '1', 'the free-space floor shows in GB');
  await page.fill('#set-min-free', '0.25');
  await page.click('text=Save settings');
  await page.waitForFunction(() => /Settings saved/.test(document.querySelector('.toast')?.textContent ?? ''));
  assert.equal(api.state.settings.minFreeBytes, 250_000_000);
  assert.equal(api.state.settings.port, 5080);
  assert.equal(api.state.settings.listenHost, '192.168.1.20');
  assert.deepEqual(api.state.settings.allowlist, ['10.0.0.0/8', '172.16.0.0/12']);
  assert.equal(api.state.settings.launchAtLogin, true);

  await page.fill('#set-port', '99999');
  await page.click('text=Save settings');
  await page.waitForFunction(() => /whole number from 1 to 65535/.test(document.querySelector('.toast')?.textContent ?? ''));

  await page.fill('#hub-user', 'alice');
  await page.fill('#hub-token', 'dckr_pat_secret');
  await page.click('text=Save to keychain');
  await page.waitForFunction(() => /Saved for alice/.test(document.body.innerText));
  assert.equal(await page.inputValue('#hub-token'), '');
  assert.doesNotMatch(await page.content(), /dckr_pat_secret/);
  await page.click('section:has(#hub-user) >> text=Test');
  await page.waitForFunction(() => /Signed in as alice/.test(document.querySelector('.toast')?.textContent ?? ''));
  await shoot(page, 'settings-1400x900-light');
  assert.deepEqual(problems, []);
});

test('keyboard: every view is reachable and its controls are labelled', async (t) => {
  const { page, problems } = await open(t);
  await page.keyboard.press('Tab'); // skip link
  for (const view of ['overview', 'live', 'cache', 'connect', 'settings']) {
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.id), `nav-${view}`);
    await page.keyboard.press('Enter');
    await page.waitForSelector(`.view.${view}:not([hidden])`);
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('.view:not([hidden]) input, .view:not([hidden]) select, .view:not([hidden]) textarea, .view:not([hidden]) button')]
        .filter((el) => {
          const control = el as HTMLInputElement;
          if (control.type === 'hidden') return false;
          const named = control.getAttribute('aria-label') || (control.labels && control.labels.length > 0) || (el.tagName === 'BUTTON' && el.textContent!.trim() !== '');
          return !named;
        })
        .map((el) => el.outerHTML.slice(0, 80)),
    );
    assert.deepEqual(unlabelled, [], view);
    await page.focus(`#nav-${view}`);
  }
  assert.deepEqual(problems, []);
});

test('every view is tidy at 900×600 and 1400×900, light and dark', async (t) => {
  for (const size of [{ width: 900, height: 600 }, { width: 1400, height: 900 }]) {
    for (const dark of [false, true]) {
      const { page, api, problems } = await open(t, { ...size, dark });
      for (let n = 0; n < 40; n++) emitPull(api, n, `10.0.0.${20 + (n % 5)}`, n % 2 ? 'library/nginx' : 'library/postgres', n % 2 ? 'latest' : '16');
      const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      assert.equal(background, dark ? 'rgb(20, 23, 28)' : 'rgb(246, 247, 249)');
      for (const view of ['overview', 'live', 'cache', 'connect', 'settings']) {
        await go(page, view);
        if (view === 'live') await page.waitForSelector('.vrow.pull');
        // Nothing may stick out sideways: the page itself never scrolls horizontally.
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.equal(overflow, 0, `${view} at ${size.width}×${size.height}`);
        await shoot(page, `${view}-${size.width}x${size.height}-${dark ? 'dark' : 'light'}`);
      }
      assert.deepEqual(problems, []);
    }
  }
});

test('when the headless host restarts, the page reconnects and shows what changed meanwhile', async (t) => {
  const session = await open(t);
  const { page, api } = session;
  await go(page, 'live'); // loads the (empty) backlog now, so the pull below can only come by the stream
  await go(page, 'overview');
  await page.waitForSelector('.badge[data-state="off"]');
  const port = Number(new URL(session.server.url).port);
  await session.server.close();
  api.state.mirror.serving = true; // changed while no tab was listening
  const again = await startHeadless(api, { host: '127.0.0.1', port, token: session.server.token });
  t.after(() => again.close());
  await page.waitForSelector('.badge[data-state="on"]');
  // Server-sent events flow again after the reconnect.
  emitPull(api, 1, '10.0.0.77', 'library/httpd', '2');
  await go(page, 'live');
  await page.waitForFunction(() => /10\.0\.0\.77 pulled library\/httpd:2/.test(document.querySelector('.vrow.pull .summary')?.textContent ?? ''));
});

test('with a preload API on window.dockmirror (the Electron host) the page uses it and never calls HTTP', async (t) => {
  const session = await open(t);
  const { page, context } = session;
  const calls: string[] = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname.startsWith('/api/')) calls.push(request.url());
  });
  const state = structuredClone(session.api.state);
  state.settings.port = 5999;
  state.addresses = [{ interfaceName: 'wlan0', address: '10.9.8.7', family: 'IPv4', mirrorUrl: 'http://10.9.8.7:5999' }];
  // What the preload would expose through contextBridge, reduced to what the page calls at start.
  await context.addInitScript(`
    const state = ${JSON.stringify(state)};
    const noop = () => () => {};
    window.dockmirror = new Proxy({ getState: async () => state, recentEvents: async () => [], recentClients: async () => [], listCache: async () => [], onEvent: noop, onState: noop }, {
      get: (target, name) => (name === 'then' ? undefined : target[name] ?? (async () => state)),
    });
  `);
  await page.goto(new URL(session.server.url).origin + '/');
  await page.waitForSelector('#app[data-ready="true"]');
  assert.deepEqual(await page.locator('.addresses code').allTextContents(), ['http://10.9.8.7:5999']);
  await go(page, 'connect');
  assert.match(await page.locator('.snippet-card').first().innerText(), /http:\/\/10\.9\.8\.7:5999/);
  assert.deepEqual(calls, []);
});

// The window in real Chromium, served by the headless host over a fake core: every view, the
// keyboard, the strict CSP, thousands of log lines, and screenshots at both window sizes in both
// themes (test/artifacts/). The real core + engine + dockerd run in ui-e2e.test.ts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { PullEvent, RequestEvent } from '../mirror/public-types.js';
import { startHeadless, type HeadlessServer } from '../main/headless/server.js';
import { FakeApi } from './headless-fake-api.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
// Page functions run in Chromium; these few DOM shapes stand in for lib.dom, which the Node test
// build does not load.
interface El {
  id: string;
  textContent: string | null;
  value: string;
  outerHTML: string;
  tagName: string;
  type: string;
  labels: ArrayLike<unknown> | null;
  innerText: string;
  scrollWidth: number;
  clientWidth: number;
  getAttribute(name: string): string | null;
}
declare const document: {
  querySelector(selector: string): El | null;
  querySelectorAll(selector: string): Iterable<El> & ArrayLike<El>;
  documentElement: El;
  body: El;
  activeElement: El | null;
};
declare const navigator: { clipboard: { readText(): Promise<string> } };
declare function getComputedStyle(el: El): { backgroundColor: string };
type HTMLInputElement = El;
type HTMLOptionElement = El;

const artifacts = fileURLToPath(new URL('../../test/artifacts/', import.meta.url));

let browser: Browser;
let dir: string;

before(async () => {
  await access(CHROMIUM); // a missing browser fails the file, never skips it
  await access(fileURLToPath(new URL('../renderer/index.html', import.meta.url))).catch(() => {
    throw new Error('dist/renderer is not built: run "npm run build" first.');
  });
  await mkdir(artifacts, { recursive: true });
  dir = await mkdtemp(join(tmpdir(), 'dmx-ui-'));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Session {
  api: FakeApi;
  server: HeadlessServer;
  context: BrowserContext;
  page: Page;
  problems: string[];
}

async function open(t: import('node:test').TestContext, options: { width?: number; height?: number; dark?: boolean } = {}): Promise<Session> {
  const cache = join(dir, `cache-${Math.random().toString(36).slice(2)}`);
  await mkdir(cache);
  const api = new FakeApi(cache);
  const server = await startHeadless(api, { host: '127.0.0.1', port: 0 });
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1400, height: options.height ?? 900 },
    colorScheme: options.dark ? 'dark' : 'light',
    acceptDownloads: true,
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(server.url).origin });
  const page = await context.newPage();
  const problems: string[] = [];
  // CSP refusals and script errors show up as console errors or page errors.
  page.on('console', (message) => {
    // A refused call (422, a plain sentence for the user) is logged by Chromium too; it is not a fault.
    if (message.type() === 'error' && !/status of 422/.test(message.text())) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  t.after(async () => {
    await context.close();
    await server.close();
  });
  await page.goto(server.url);
  await page.waitForSelector('#app[data-ready="true"]');
  return { api, server, context, page, problems };
}

function requestEvent(i: number, client: string, repository: string, reference: string, kind: 'manifest' | 'blob', cache: RequestEvent['cache']): RequestEvent {
  return {
    type: 'request',
    id: `req-${client}-${i}`,
    time: new Date(Date.UTC(2026, 0, 1, 10, 0, 0, i)).toISOString(),
    client,
    method: kind === 'manifest' ? 'HEAD' : 'GET',
    kind,
    repository,
    reference,
    status: 200,
    bytes: kind === 'blob' ? 1_000_000 : 1_500,
    durationMs: 12,
    cache,
  };
}

function pullEvent(id: string, client: string, repository: string, reference: string, requests: RequestEvent[]): PullEvent {
  const blobs = requests.filter((r) => r.kind === 'blob');
  const fromCache = blobs.filter((r) => r.cache === 'hit').length;
  const bytes = requests.reduce((sum, r) => sum + r.bytes, 0);
  return {
    type: 'pull',
    id,
    time: requests[0]!.time,
    client,
    repository,
    reference,
    blobs: blobs.length,
    blobsFromCache: fromCache,
    bytes,
    durationMs: 1200,
    ok: true,
    requestIds: requests.map((r) => r.id),
    summary: `${client} pulled ${repository}:${reference} — ${blobs.length} blobs, ${Math.round(bytes / 1e6)} MB, ${fromCache} from cache, 1.2 s`,
  };
}

/** Emits one grouped pull (manifest + blobs) through the fake core, as the engine would. */
function emitPull(api: FakeApi, n: number, client: string, repository: string, reference: string, blobs = 7, hits = 5): PullEvent {
  const requests = [requestEvent(n * 100, client, repository, reference, 'manifest', 'revalidated')];
  for (let b = 0; b < blobs; b++) requests.push(requestEvent(n * 100 + b + 1, client, repository, `sha256:${String(n).padStart(4, '0')}${String(b).padStart(60, '0')}`, 'blob', b < hits ? 'hit' : 'miss'));
  for (const r of requests) api.emit(r);
  const pull = pullEvent(`pull-${client}-${n}`, client, repository, reference, requests);
  api.emit(pull);
  return pull;
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(artifacts, `${name}.png`) });
}

async function go(page: Page, view: string): Promise<void> {
  await page.click(`#nav-${view}`);
  await page.waitForSelector(`.view.${view}:not([hidden])`);
}

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
        { reference: 'latest', digest: 'sha256:' + 'a'.repeat(64), mediaType: 'application/vnd.oci.image.index.v1+json', bytes: 60_000_000, lastPulled: '2026-01-02T03:04:05.000Z' },
        { reference: '1.27', digest: 'sha256:' + 'b'.repeat(64), mediaType: 'application/vnd.oci.image.index.v1+json', bytes: 8_000_000, lastPulled: null },
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

  const target = join(dir, 'new-home');
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

test('connect hosts: snippets for every runtime, daemon.json errors by line, merged result copied', async (t) => {
  const { page, problems } = await open(t);
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
  assert.match(await page.locator('table.clients').innerText(), /10\.0\.0\.21/);
  await shoot(page, 'connect-1400x900-light');
  assert.deepEqual(problems, []);
});

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

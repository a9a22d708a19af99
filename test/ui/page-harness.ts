// Real Chromium against the headless host over a fake core, for the window's view tests: one
// browser per test file, a fresh page and fake core per test, events shaped as the engine sends
// them, and screenshots into test/artifacts/.
import { after, before, type TestContext } from 'node:test';
import { access, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { PullEvent, RequestEvent } from '../../mirror/public-types.js';
import { startHeadless, type HeadlessServer } from '../../main/headless/server.js';
import { artifacts, launchChromium, requireChromium } from '../support/chromium.js';
import { FakeApi } from '../support/fake-api.js';

// Page functions run in Chromium; these few DOM shapes stand in for lib.dom, which the Node test
declare global {
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
  const document: {
    querySelector(selector: string): El | null;
    querySelectorAll(selector: string): Iterable<El> & ArrayLike<El>;
    documentElement: El;
    body: El;
    activeElement: El | null;
  };
  const navigator: { clipboard: { readText(): Promise<string> } };
  function getComputedStyle(el: El): { backgroundColor: string };
  type HTMLInputElement = El;
  type HTMLOptionElement = El;
}


export interface Session {
  api: FakeApi;
  server: HeadlessServer;
  context: BrowserContext;
  page: Page;
  problems: string[];
}

export interface UiHarness {
  /** A temporary folder of this test file, removed after it. */
  readonly dir: string;
  open(t: TestContext, options?: { width?: number; height?: number; dark?: boolean }): Promise<Session>;
}

/** Registers the file's before/after hooks: Chromium is launched once and closed at the end. */
export function uiHarness(): UiHarness {
  const held: { browser?: Browser; dir?: string } = {};
  before(async () => {
    await requireChromium(); // a missing browser fails the file, never skips it
    await access(fileURLToPath(new URL('../../renderer/index.html', import.meta.url))).catch(() => {
      throw new Error('dist/renderer is not built: run "npm run build" first.');
    });
    held.dir = await mkdtemp(join(tmpdir(), 'dmx-ui-'));
    held.browser = await launchChromium();
  });
  after(async () => {
    await held.browser?.close();
    if (held.dir) await rm(held.dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return held.dir!;
    },
    async open(t, options = {}) {
      const cache = join(held.dir!, `cache-${Math.random().toString(36).slice(2)}`);
      await mkdir(cache);
      const api = new FakeApi(cache);
      const server = await startHeadless(api, { host: '127.0.0.1', port: 0 });
      const context = await held.browser!.newContext({
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
    },
  };
}

export function requestEvent(i: number, client: string, repository: string, reference: string, kind: 'manifest' | 'blob', cache: RequestEvent['cache']): RequestEvent {
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

export function pullEvent(id: string, client: string, repository: string, reference: string, requests: RequestEvent[]): PullEvent {
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
export function emitPull(api: FakeApi, n: number, client: string, repository: string, reference: string, blobs = 7, hits = 5): PullEvent {
  const requests = [requestEvent(n * 100, client, repository, reference, 'manifest', 'revalidated')];
  for (let b = 0; b < blobs; b++) requests.push(requestEvent(n * 100 + b + 1, client, repository, `sha256:${String(n).padStart(4, '0')}${String(b).padStart(60, '0')}`, 'blob', b < hits ? 'hit' : 'miss'));
  for (const r of requests) api.emit(r);
  const pull = pullEvent(`pull-${client}-${n}`, client, repository, reference, requests);
  api.emit(pull);
  return pull;
}

export async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(artifacts, `${name}.png`) });
}

export async function go(page: Page, view: string): Promise<void> {
  await page.click(`#nav-${view}`);
  await page.waitForSelector(`.view.${view}:not([hidden])`);
}


// End to end in real Chromium: the window served by the headless host drives a real mirror
// engine; a real dockerd pulls through it from the Docker Hub stand-in (distribution behind the
// token/rate-limit front). The pull must show up grouped in Live pulls, the cache can move to
// another folder and one image can be deleted, and the real daemon.json merges and copies.
//
// The app core (main/core, another helper's work) was not in the tree when this was written, so
// `EngineApi` below is a thin DockmirrorApi over the real engine. Swap it for the core's factory
// once it lands; nothing else in this file depends on it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { access, cp, mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import type { AppSettings, AppState, CacheMoveMode, DockmirrorApi, MirrorEvent, RecentClient } from '../main/core/contract.js';
import { startHeadless } from '../main/headless/server.js';
import { createMirror, type MirrorEngine } from '../mirror/index.js';
import { mirrorUrlFor } from '../mirror/snippets.js';
import { startDockerd, type RunningDockerd } from './support/clients/dockerd.js';
import { findFreePort } from './support/ports.js';
import { startTestUpstream, type TestUpstream } from './support/upstream.js';

declare const document: { querySelector(selector: string): { textContent: string | null } | null };
declare const navigator: { clipboard: { readText(): Promise<string> } };

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const artifacts = fileURLToPath(new URL('../../test/artifacts/', import.meta.url));

/** A DockmirrorApi over the real engine, standing in for the app core (see the file comment). */
class EngineApi implements DockmirrorApi {
  private engine: MirrorEngine;
  private unsubscribe: () => void = () => {};
  private readonly events: MirrorEvent[] = [];
  private readonly eventListeners = new Set<(event: MirrorEvent) => void>();
  private readonly stateListeners = new Set<(state: AppState) => void>();
  private readonly clients = new Map<string, RecentClient>();
  settings: AppSettings;

  constructor(cachePath: string, upstream: string, port: number) {
    this.settings = {
      cachePath,
      maxSizeBytes: null,
      listenHost: '127.0.0.1',
      port,
      upstream,
      tagTtlSeconds: 60,
      allowlist: [],
      clientAuth: { enabled: false, username: '' },
      startMirrorOnLaunch: false,
      launchAtLogin: false,
      logLevel: 'info',
    };
    this.engine = this.createEngine();
  }

  private createEngine(): MirrorEngine {
    const engine = createMirror({ cacheDir: this.settings.cachePath, upstream: this.settings.upstream, registryName: 'docker.io', minFreeBytes: 0 });
    this.unsubscribe = engine.subscribe((event) => {
      this.events.push(event);
      if (event.type === 'pull') {
        const known = this.clients.get(event.client);
        this.clients.set(event.client, { address: event.client, lastSeen: event.time, pulls: (known?.pulls ?? 0) + 1 });
      }
      for (const listener of this.eventListeners) listener(event);
    });
    return engine;
  }

  private snapshot(): AppState {
    const mirror = this.engine.status();
    return {
      settings: structuredClone(this.settings),
      mirror,
      credentials: { keychainAvailable: false, savedFor: null, message: 'No keychain in this test.' },
      addresses: [{ interfaceName: 'lo', address: '127.0.0.1', family: 'IPv4', mirrorUrl: mirrorUrlFor('127.0.0.1', this.settings.port) }],
      problems: mirror.problems,
    };
  }

  private changed(): AppState {
    const state = this.snapshot();
    for (const listener of this.stateListeners) listener(state);
    return state;
  }

  async getState() {
    return this.snapshot();
  }
  async startMirror() {
    if (!this.engine.status().serving) await this.engine.start({ host: this.settings.listenHost, port: this.settings.port });
    return this.changed();
  }
  async stopMirror() {
    await this.engine.stop();
    return this.changed();
  }
  async updateSettings(patch: Partial<AppSettings>) {
    this.settings = { ...this.settings, ...patch };
    return this.changed();
  }
  async saveCredentials(): Promise<never> {
    throw new Error('No keychain in this test.');
  }
  async testCredentials() {
    return { ok: false, message: 'No credentials saved.' };
  }
  async deleteCredentials() {
    return this.snapshot().credentials;
  }
  async setClientPassword() {
    return this.snapshot();
  }
  async pickFolder() {
    return null;
  }
  async listDirectory(path: string) {
    const full = resolve(path);
    const entries = await readdir(full, { withFileTypes: true });
    return {
      path: full,
      parent: full === '/' ? null : dirname(full),
      entries: entries.filter((e) => e.isDirectory()).map((e) => ({ name: e.name, path: join(full, e.name) })),
    };
  }
  async checkCachePath(path: string) {
    const full = resolve(path);
    const ok = await stat(full).then((s) => s.isDirectory(), () => false);
    return { path: full, ok, writable: ok, freeBytes: null, holdsCache: false, message: ok ? `${full} can hold the cache.` : `${full} does not exist.` };
  }
  async changeCachePath(path: string, mode: CacheMoveMode) {
    const serving = this.engine.status().serving;
    await this.engine.stop();
    this.unsubscribe();
    if (mode === 'move') await cp(this.settings.cachePath, path, { recursive: true });
    this.settings.cachePath = path;
    this.engine = this.createEngine();
    if (serving) await this.engine.start({ host: this.settings.listenHost, port: this.settings.port });
    return this.changed();
  }
  async openCacheFolder() {}
  async listCache() {
    return this.engine.listCache();
  }
  async deleteCachedImage(registry: string, repository: string, reference?: string) {
    await this.engine.deleteImage(registry, repository, reference);
    this.changed();
    return this.engine.listCache();
  }
  async clearCache() {
    await this.engine.clearCache();
    return this.engine.listCache();
  }
  async recentEvents() {
    return [...this.events];
  }
  async recentClients() {
    return [...this.clients.values()];
  }
  onEvent(listener: (event: MirrorEvent) => void) {
    this.eventListeners.add(listener);
    return () => void this.eventListeners.delete(listener);
  }
  onState(listener: (state: AppState) => void) {
    this.stateListeners.add(listener);
    return () => void this.stateListeners.delete(listener);
  }
  async close() {
    await this.engine.stop();
    this.unsubscribe();
  }
}

let dir: string;
let upstream: TestUpstream | undefined;
let dockerd: RunningDockerd | undefined;
let browser: Browser | undefined;

before(async () => {
  await access(CHROMIUM);
  await mkdir(artifacts, { recursive: true });
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
  const port = await findFreePort();
  const api = new EngineApi(join(dir, 'cache'), upstream.url, port);
  t.after(() => api.close());
  const server = await startHeadless(api, { host: '127.0.0.1', port: 0 });
  t.after(() => server.close());
  const mirrorUrl = mirrorUrlFor('127.0.0.1', port);
  dockerd = await startDockerd({ mirrors: [mirrorUrl], daemonConfig: { 'log-level': 'warn' } });

  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(server.url).origin });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(server.url);
  await page.waitForSelector('#app[data-ready="true"]');

  // Start the mirror from the window.
  await page.click('text=Start mirror');
  await page.waitForSelector('.badge[data-state="on"]');
  assert.equal(api.settings.port, port);
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
  assert.equal(api.settings.cachePath, join(newHome, 'dockmirror-cache'));
  assert.ok((await readdir(join(newHome, 'dockmirror-cache'))).length > 0, 'the moved cache folder is empty');

  // The moved cache still lists the image; delete it from the window.
  await page.waitForSelector('tr.image');
  await page.screenshot({ path: join(artifacts, 'e2e-cache-real.png') });
  await page.click('button[aria-label="Delete library/alpine-test:latest"]');
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
  assert.match(await page.locator('table.clients').innerText(), /127\.0\.0\.1/);
  await page.screenshot({ path: join(artifacts, 'e2e-connect-real.png') });
  assert.deepEqual(problems, []);
  await context.close();
});

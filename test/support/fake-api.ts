// An in-memory DockmirrorApi for the window and headless tests, used only where the real core
// would add nothing but start-up time; directory listing and path checks use the real disk.
import { mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { AppSettings, AppState, CachedRepository, DockmirrorApi, MirrorEvent, RecentClient } from '../../main/shared/contract.js';

class CoreError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

export class FakeApi implements DockmirrorApi {
  readonly calls: string[] = [];
  private readonly eventListeners = new Set<(event: MirrorEvent) => void>();
  private readonly stateListeners = new Set<(state: AppState) => void>();
  readonly events: MirrorEvent[] = [];
  repositories: CachedRepository[] = [];
  clients: RecentClient[] = [{ address: '10.0.0.21', lastSeen: '2026-01-02T03:04:05.000Z', pulls: 3 }];
  state: AppState;

  constructor(cachePath: string) {
    const now = new Date().toISOString();
    this.state = {
      settings: {
        cachePath,
        maxSizeBytes: 20_000_000_000,
        minFreeBytes: 1_000_000_000,
        listenHost: '0.0.0.0',
        port: 5000,
        upstream: 'https://registry-1.docker.io',
        registries: [{ name: 'docker.io', upstream: null, enabled: true }],
        tagTtlSeconds: 60,
        allowlist: ['10.0.0.0/8', '192.168.0.0/16'],
        clientAuth: { enabled: false, username: '' },
        startMirrorOnLaunch: true,
        launchAtLogin: false,
        logLevel: 'info',
        keepWarm: { images: [], everyHours: 6, nightly: null },
        expireAfterDays: null,
      },
      mirror: {
        serving: false,
        upstream: 'https://registry-1.docker.io',
        registries: [
          { name: 'docker.io', upstream: 'https://registry-1.docker.io', enabled: true, reachable: true, lastError: null, rateLimit: { limit: 100, remaining: 76, windowSeconds: 21600, observedAt: '2026-01-02T03:04:05.000Z' }, throttled: null, requests: 650, upstreamPulls: 14 },
          { name: 'ghcr.io', upstream: 'https://ghcr.io', enabled: true, reachable: true, lastError: null, rateLimit: null, throttled: { at: '2026-01-02T03:04:05.000Z', retryAfterSeconds: 30 }, requests: 50, upstreamPulls: 3 },
          { name: 'quay.io', upstream: 'https://quay.io', enabled: true, reachable: null, lastError: null, rateLimit: null, throttled: null, requests: 0, upstreamPulls: 0 },
        ],
        cache: { path: cachePath, bytes: 5_400_000_000, maxBytes: 20_000_000_000, blobs: 312 },
        counters: { requests: 900, hits: 610, misses: 90, bytesFromCache: 41_000_000_000, bytesFromUpstream: 5_400_000_000, upstreamPulls: 14, pullsServed: 120 },
        rateLimit: { limit: 100, remaining: 76, windowSeconds: 21600, source: '203.0.113.7', observedAt: now },
        problems: [],
      },
      credentials: { keychainAvailable: true, savedFor: null },
      addresses: [
        { interfaceName: 'eth0', address: '192.168.1.20', family: 'IPv4', mirrorUrl: 'http://192.168.1.20:5000' },
        { interfaceName: 'eth0', address: 'fd00::20', family: 'IPv6', mirrorUrl: 'http://[fd00::20]:5000' },
      ],
      problems: [{ code: 'upstream-unreachable', message: 'Docker Hub cannot be reached; cached images are still served.', since: now }],
    };
  }

  emit(event: MirrorEvent): void {
    this.events.push(event);
    for (const listener of this.eventListeners) listener(event);
  }

  listenerCount(): number {
    return this.eventListeners.size + this.stateListeners.size;
  }

  /** Sends the state as it stands to the window, as the core does after a change. */
  publish(): void {
    this.changed();
  }

  private changed(): AppState {
    const copy = structuredClone(this.state);
    for (const listener of this.stateListeners) listener(copy);
    return copy;
  }

  async getState() {
    return structuredClone(this.state);
  }
  async startMirror() {
    this.calls.push('startMirror');
    this.state.mirror.serving = true;
    this.state.mirror.listen = { host: this.state.settings.listenHost, port: this.state.settings.port };
    return this.changed();
  }
  async stopMirror() {
    this.calls.push('stopMirror');
    this.state.mirror.serving = false;
    return this.changed();
  }
  async updateSettings(patch: Partial<AppSettings>) {
    this.calls.push('updateSettings');
    if (patch.port !== undefined && !(Number.isInteger(patch.port) && patch.port >= 1 && patch.port <= 65535)) {
      throw new CoreError('invalid-setting', 'The port must be a number from 1 to 65535.');
    }
    this.state.settings = { ...this.state.settings, ...patch };
    this.state.mirror.cache.maxBytes = this.state.settings.maxSizeBytes;
    return this.changed();
  }
  async saveCredentials(username: string, _token: string, registry?: string) {
    this.calls.push(registry ? `saveCredentials ${registry}` : 'saveCredentials');
    if (registry && registry !== 'docker.io') this.state.credentials = { ...this.state.credentials, registries: { ...this.state.credentials.registries, [registry]: username } };
    else this.state.credentials = { keychainAvailable: true, savedFor: username };
    return this.state.credentials;
  }
  async testCredentials(registry?: string) {
    this.calls.push(registry ? `testCredentials ${registry}` : 'testCredentials');
    return { ok: true, message: `Signed in as ${this.state.credentials.savedFor}: 200 pulls per 6 hours.` };
  }
  async deleteCredentials(registry?: string) {
    this.calls.push(registry ? `deleteCredentials ${registry}` : 'deleteCredentials');
    this.state.credentials = { keychainAvailable: true, savedFor: null };
    return this.state.credentials;
  }
  async setClientPassword() {
    this.calls.push('setClientPassword');
    return this.changed();
  }
  async pickFolder() {
    return null;
  }
  /** Listings answered late, by folder: the delay in ms and a callback once answered. */
  readonly slowListings = new Map<string, { delayMs: number; answered: () => void }>();

  async listDirectory(path: string) {
    this.calls.push('listDirectory');
    const full = resolve(path);
    const slow = this.slowListings.get(full);
    if (slow) {
      await new Promise((done) => setTimeout(done, slow.delayMs));
      setImmediate(slow.answered);
    }
    let entries;
    try {
      entries = await readdir(full, { withFileTypes: true });
    } catch {
      throw new CoreError('not-a-folder', `${full} is not a folder that can be opened.`);
    }
    const folders = entries.filter((e) => e.isDirectory()).map((e) => ({ name: e.name, path: join(full, e.name) }));
    return { path: full, parent: full === '/' ? null : dirname(full), entries: folders.sort((a, b) => a.name.localeCompare(b.name)) };
  }
  async checkCachePath(path: string) {
    this.calls.push('checkCachePath');
    const full = resolve(path);
    const isDir = await stat(full).then((s) => s.isDirectory(), () => false);
    return {
      path: full,
      ok: isDir,
      writable: isDir,
      freeBytes: isDir ? 50_000_000_000 : null,
      holdsCache: false,
      message: isDir ? `${full} is writable and has 50 GB free.` : `${full} does not exist.`,
    };
  }
  async changeCachePath(path: string) {
    this.calls.push('changeCachePath');
    await mkdir(path, { recursive: true });
    this.state.settings.cachePath = path;
    this.state.mirror.cache.path = path;
    return this.changed();
  }
  async openCacheFolder() {
    this.calls.push('openCacheFolder');
  }
  async listCache() {
    return structuredClone(this.repositories);
  }
  async deleteCachedImage(registry: string, repository: string, reference?: string) {
    this.calls.push(`deleteCachedImage ${registry} ${repository} ${reference ?? ''}`.trim());
    this.repositories = this.repositories
      .map((r) => (r.repository === repository && reference ? { ...r, images: r.images.filter((i) => i.reference !== reference) } : r))
      .filter((r) => !(r.repository === repository && (!reference || r.images.length === 0)));
    return structuredClone(this.repositories);
  }
  async pinCachedImage(registry: string, repository: string, tag: string, pinned: boolean) {
    this.calls.push(`pinCachedImage ${registry} ${repository} ${tag} ${pinned}`);
    for (const repo of this.repositories) if (repo.repository === repository) for (const image of repo.images) if (image.reference === tag) image.pinned = pinned;
    return structuredClone(this.repositories);
  }

  async clearCache() {
    this.calls.push('clearCache');
    this.repositories = [];
    return [];
  }
  async keepImageWarm(name: string, keep: boolean, platforms?: string[] | null) {
    this.calls.push(`keepImageWarm ${name} ${keep} ${platforms ? platforms.join(',') : 'all'}`);
    return structuredClone(this.state);
  }
  async refreshKeptImages(image?: string) {
    this.calls.push(`refreshKeptImages ${image ?? 'all'}`);
    return structuredClone(this.state.mirror.keepWarm ?? []);
  }
  async startPrefetch(text: string, fileName?: string) {
    this.calls.push(`startPrefetch ${fileName ?? ''} ${text.length}`);
    return { running: true, startedAt: new Date().toISOString(), finishedAt: null, images: [] };
  }
  async expiryPreview() {
    return { expireAfterMs: null, images: 0, bytes: 0 };
  }
  async recentEvents() {
    return structuredClone(this.events);
  }
  async recentClients() {
    return structuredClone(this.clients);
  }
  onEvent(listener: (event: MirrorEvent) => void) {
    this.eventListeners.add(listener);
    return () => void this.eventListeners.delete(listener);
  }
  onState(listener: (state: AppState) => void) {
    this.stateListeners.add(listener);
    return () => void this.stateListeners.delete(listener);
  }
}

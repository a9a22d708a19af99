// A complete AppState to start Electron-side tests from (tray, IPC forwarding), with the
// numbers the examples use.
import type { AppState } from '../../main/shared/contract.js';

export function sampleState(cachePath = '/var/lib/dockmirror/cache'): AppState {
  return {
    settings: {
      cachePath,
      maxSizeBytes: null,
      minFreeBytes: 1_000_000_000,
      listenHost: '0.0.0.0',
      port: 5000,
      upstream: 'https://registry-1.docker.io',
      registries: [{ name: 'docker.io', upstream: null, enabled: true }],
      tagTtlSeconds: 60,
      allowlist: ['192.168.0.0/16'],
      clientAuth: { enabled: false, username: '' },
      startMirrorOnLaunch: true,
      launchAtLogin: false,
      logLevel: 'info',
      keepWarm: { images: [], everyHours: 6, nightly: null },
      expireAfterDays: null,
    },
    mirror: {
      serving: true,
      listen: { host: '0.0.0.0', port: 5000 },
      upstream: 'https://registry-1.docker.io',
      registries: [],
      cache: { path: cachePath, bytes: 12_345_678_901, maxBytes: null, blobs: 900 },
      counters: { requests: 4000, hits: 3000, misses: 200, bytesFromCache: 1e11, bytesFromUpstream: 1e10, upstreamPulls: 13, pullsServed: 100 },
      rateLimit: { limit: 100, remaining: 76, windowSeconds: 21600, observedAt: '2026-01-02T03:04:05.000Z' },
      problems: [],
    },
    credentials: { keychainAvailable: true, savedFor: null },
    addresses: [
      { interfaceName: 'eth0', address: 'fd00::20', family: 'IPv6', mirrorUrl: 'http://[fd00::20]:5000' },
      { interfaceName: 'eth0', address: '192.168.1.20', family: 'IPv4', mirrorUrl: 'http://192.168.1.20:5000' },
    ],
    problems: [],
  };
}

export function stoppedState(): AppState {
  const state = sampleState();
  state.mirror.serving = false;
  delete state.mirror.listen;
  return state;
}

export function failedState(code: 'port-in-use' | 'start-failed', message: string): AppState {
  const state = stoppedState();
  state.problems = [{ code, message, since: '2026-01-02T03:04:05.000Z' }];
  return state;
}

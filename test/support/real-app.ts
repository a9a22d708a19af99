// The app as `npm start` runs it headless, for end-to-end window tests: the real app core and
// engine with its window host on loopback, aimed at an upstream the test started.
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { createAppCore } from '../../main/core/app-core.js';
import type { AppCore, AppCoreOptions } from '../../main/core/app-host.js';
import { sessionKeychain } from '../../main/core/memory-stores.js';
import { startHeadless } from '../../main/headless/server.js';
import { mirrorUrlFor } from '../../main/shared/snippets.js';
import { findFreePort } from './ports.js';

export interface RealApp {
  api: AppCore;
  /** The window's address, token included. */
  windowUrl: string;
  port: number;
  mirrorUrl: string;
}

/**
 * Opens a core in `dir/app` with the mirror on a free loopback port (not started), and its window
 * host; `engines` puts the engine in its own process, as the app's hosts do.
 */
export async function startRealApp(t: TestContext, dir: string, upstreamUrl: string, engines?: AppCoreOptions['engines']): Promise<RealApp> {
  const port = await findFreePort();
  const api = createAppCore({ dataDir: join(dir, 'app'), keychain: sessionKeychain(), tuning: { registryName: 'docker.io', minFreeBytes: 0 }, engines });
  t.after(() => api.shutdown());
  await api.open();
  await api.updateSettings({ listenHost: '127.0.0.1', port, upstream: upstreamUrl, startMirrorOnLaunch: false });
  const server = await startHeadless(api, { host: '127.0.0.1', port: 0 });
  t.after(() => server.close());
  return { api, windowUrl: server.url, port, mirrorUrl: mirrorUrlFor('127.0.0.1', port) };
}

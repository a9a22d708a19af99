// A mirror serving /setup on the host side of a LAN namespace, for the setup-script tests: the
// namespace fetches scripts with curl over its veth, as another machine on the LAN would, and
// runs them with dash. Every engine event is kept, setup reports included.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMirror, type MirrorEngine, type MirrorEvent } from '../../mirror/index.js';
import { hostReportFromEvent, type HostReport } from '../../main/shared/setup/host-report.js';
import { createSetupRoutes } from '../../main/shared/setup/setup-routes.js';
import { createLanHost, requireBinary, type LanHost } from './clients/index.js';
import { startTestUpstream, type TestUpstream } from './upstream.js';

export const DASH = '/usr/bin/dash';
export const CURL = '/usr/bin/curl';
export const SHELLCHECK = '/usr/bin/shellcheck';

export interface SetupLan {
  upstream: TestUpstream;
  lan: LanHost;
  mirror: MirrorEngine;
  mirrorUrl: string;
  workDir: string;
  events: MirrorEvent[];
  /** Fetches a script from inside the namespace into a file of the work dir (readable by anyone). */
  fetchScript(runtime: string, extraCurlArgs?: readonly string[]): Promise<{ path: string; text: string }>;
  /** Runs a script with dash inside the namespace. */
  runScript(path: string, args: readonly string[]): ReturnType<LanHost['exec']>;
  close(): Promise<void>;
}

/** Setup reports, as an engine passed them to its subscribers. */
export function reportsIn(list: readonly MirrorEvent[]): HostReport[] {
  return list.flatMap((event) => (event.type === 'host-route' ? [hostReportFromEvent(event)].filter((r): r is HostReport => r !== null) : []));
}

export async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Gave up waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function startSetupLan(): Promise<SetupLan> {
  for (const binary of [DASH, CURL, SHELLCHECK]) await requireBinary(binary);
  const upstream = await startTestUpstream();
  const lan = await createLanHost();
  const workDir = await mkdtemp(join(tmpdir(), 'dockmirror-setup-'));
  await chmod(workDir, 0o755);
  const events: MirrorEvent[] = [];
  const mirror = createMirror({
    cacheDir: join(workDir, 'cache'),
    upstream: upstream.url,
    registryName: 'docker.io',
    minFreeBytes: 0,
    hostRoutes: createSetupRoutes({ ownAddresses: () => [lan.hostAddress], registries: () => ['docker.io'], loginRequired: () => false }),
  });
  mirror.subscribe((event) => events.push(event));
  const { port } = await mirror.start({ host: lan.hostAddress, port: 0 });
  const mirrorUrl = `http://${lan.hostAddress}:${port}`;
  return {
    upstream,
    lan,
    mirror,
    mirrorUrl,
    workDir,
    events,
    async fetchScript(runtime, extraCurlArgs = []) {
      const path = join(workDir, `setup-${runtime}-${Math.random().toString(16).slice(2)}.sh`);
      const fetched = await lan.exec(CURL, ['-fsSL', ...extraCurlArgs, '-o', path, `${mirrorUrl}/setup/${runtime}`]);
      assert.ok(fetched.ok, fetched.output);
      await chmod(path, 0o644);
      return { path, text: await readFile(path, 'utf8') };
    },
    runScript: (path, args) => lan.exec(DASH, [path, ...args]),
    async close() {
      await mirror.stop();
      await lan.destroy();
      await upstream.close();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}

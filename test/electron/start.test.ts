// `npm start` deciding between the tray app and headless, run as a person runs it: under
// xvfb-run there is a real X display, Electron's own installer tries a local ELECTRON_MIRROR that
// refuses or hangs, and the headless window follows within a bound; without a display nothing is
// fetched at all; a stand-in Electron that dies at once is reported and headless follows too.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { downloadMirror, electronPackageCopy, repoRoot } from '../support/electron-package.js';

const cliUrl = new URL('../../main/cli/cli.js', import.meta.url).href;
const script = `const { main } = await import(${JSON.stringify(cliUrl)}); process.exitCode = await main(process.argv.slice(1));`;

interface Started {
  output(): string;
  exited: Promise<number | null>;
}

async function start(t: TestContext, env: NodeJS.ProcessEnv, options: { xvfb: boolean }): Promise<Started> {
  const dataDir = await mkdtemp(join(tmpdir(), 'dm-desktop-start-'));
  const cache = await mkdtemp(join(tmpdir(), 'dm-desktop-ecache-'));
  // The headless app is only looked at, not used: no mirror on the machine's port 5000.
  await writeFile(join(dataDir, 'config.json'), JSON.stringify({ startMirrorOnLaunch: false }));
  const node = [process.execPath, '--input-type=module', '-e', script, 'start', '--ui', '127.0.0.1:0'];
  const [command, ...args] = options.xvfb ? ['xvfb-run', '-a', ...node] : node;
  const child = spawn(command!, args, {
    // Its own process group, so xvfb-run, Xvfb and node all go when the test ends.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      DISPLAY: '', WAYLAND_DISPLAY: '', DOCKMIRROR_DATA_DIR: dataDir, electron_config_cache: cache,
      ELECTRON_GET_USE_PROXY: '', DOCKERHUB_USERNAME: '', DOCKERHUB_TOKEN: '',
      ...env,
    },
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.after(async () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    await exited;
    await rm(dataDir, { recursive: true, force: true });
    await rm(cache, { recursive: true, force: true });
  });
  return { output: () => output, exited };
}

/** Waits for the headless window's address; `boundMs` is how long the fallback may take. */
async function headlessWindow(started: Started, boundMs: number): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (Date.now() < deadline) {
    if (/Dockmirror's window: open http:\/\/127\.0\.0\.1:\d+\/\?token=/.test(started.output())) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`no headless window within ${boundMs} ms:\n${started.output()}`);
}

function sentences(output: string, pattern: RegExp): string[] {
  return output.split('\n').filter((line) => pattern.test(line));
}

test('with a display and an ELECTRON_MIRROR that answers 404: one try, one sentence, then headless', async (t) => {
  const electron = await electronPackageCopy();
  const mirror = await downloadMirror('not-found');
  t.after(() => Promise.all([electron.cleanup(), mirror.close()]));
  const started = await start(t, { DOCKMIRROR_ELECTRON_PACKAGE: electron.dir, ELECTRON_MIRROR: mirror.url }, { xvfb: true });
  await headlessWindow(started, 30_000);
  const version = (JSON.parse(await readFile(join(repoRoot, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }).version;
  assert.match(started.output(), new RegExp(`Fetching Electron ${version.replace(/\./g, '\\.')} for its first start from ${mirror.url}`));
  assert.deepEqual(sentences(started.output(), /runs headless/), [
    `Electron could not be fetched (Response code 404 (Not Found) for ${mirror.url}v${version}/electron-v${version}-linux-${process.arch}.zip; ELECTRON_MIRROR can point at a copy you can reach), so Dockmirror runs headless with its window in your browser.`,
  ]);
  assert.ok(mirror.requests.some((url) => url.endsWith(`electron-v${version}-linux-${process.arch}.zip`)), mirror.requests.join(', '));
});

test('with a display and an ELECTRON_MIRROR that never answers: the fetch is cut at its bound, then headless', async (t) => {
  const electron = await electronPackageCopy();
  const mirror = await downloadMirror('hang');
  t.after(() => Promise.all([electron.cleanup(), mirror.close()]));
  const started = await start(t, { DOCKMIRROR_ELECTRON_PACKAGE: electron.dir, ELECTRON_MIRROR: mirror.url, DOCKMIRROR_ELECTRON_FETCH_TIMEOUT_MS: '1500' }, { xvfb: true });
  await headlessWindow(started, 30_000);
  assert.deepEqual(sentences(started.output(), /runs headless/), [
    'Fetching Electron timed out (no answer within 1.5 s; ELECTRON_MIRROR can point at a nearer copy), so Dockmirror runs headless with its window in your browser.',
  ]);
  assert.equal(mirror.requests.length, 1, 'the installer reached the mirror');
});

test('without a display nothing is fetched: the mirror sees no request', async (t) => {
  const electron = await electronPackageCopy();
  const mirror = await downloadMirror('not-found');
  t.after(() => Promise.all([electron.cleanup(), mirror.close()]));
  const started = await start(t, { DOCKMIRROR_ELECTRON_PACKAGE: electron.dir, ELECTRON_MIRROR: mirror.url }, { xvfb: false });
  await headlessWindow(started, 30_000);
  assert.deepEqual(sentences(started.output(), /runs headless/), [
    'There is no display here (neither DISPLAY nor WAYLAND_DISPLAY is set), so Dockmirror runs headless with its window in your browser.',
  ]);
  assert.doesNotMatch(started.output(), /Fetching Electron/);
  assert.deepEqual(mirror.requests, []);
});

test('an Electron that dies as it starts (the sandbox refused) is named, and headless follows', async (t) => {
  const electron = await electronPackageCopy(
    'echo "FATAL:setuid_sandbox_host.cc(163)] The SUID sandbox helper binary was found, but is not configured correctly." >&2\nexit 1',
  );
  t.after(() => electron.cleanup());
  const started = await start(t, { DOCKMIRROR_ELECTRON_PACKAGE: electron.dir }, { xvfb: true });
  await headlessWindow(started, 30_000);
  assert.deepEqual(sentences(started.output(), /runs headless/), [
    'Electron exited as it started (exit code 1; its sandbox was refused, as AppArmor does on Ubuntu 24.04 and later for apps without a profile), so Dockmirror runs headless with its window in your browser.',
  ]);
  assert.match(started.output(), /SUID sandbox helper binary/, "Electron's own words reach the terminal");
});

test('an Electron that starts gets the app folder, and its exit is the launcher\'s: no headless after it', async (t) => {
  const electron = await electronPackageCopy('echo "electron got: $1"; exit 0');
  t.after(() => electron.cleanup());
  const started = await start(t, { DOCKMIRROR_ELECTRON_PACKAGE: electron.dir }, { xvfb: true });
  assert.equal(await started.exited, 0, started.output());
  assert.match(started.output(), new RegExp(`electron got: ${repoRoot.replace(/[/.]/g, '\\$&')}`));
  assert.doesNotMatch(started.output(), /headless|Dockmirror's window/);
});

// The two ways the window is hosted without Electron, run as a person runs them: `npm start`
// falling back to headless (the real app core with its settings file and log), and
// `dockmirror serve --ui`. Each prints a tokened address that serves the page and the API.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { findFreePort } from '../../support/ports.js';

const bin = join(import.meta.dirname, '..', '..', '..', '..', 'build', 'dockmirror.js');

function run(t: TestContext, args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DISPLAY: '', WAYLAND_DISPLAY: '', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  t.after(() => child.kill('SIGKILL'));
  return { done, output: () => stdout + stderr, stop: () => child.kill('SIGTERM') };
}

async function windowUrl(output: () => string): Promise<URL> {
  for (let i = 0; i < 300; i++) {
    const match = /open (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(output());
    if (match) return new URL(match[1]!);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`no window address printed:\n${output()}`);
}

async function call(url: URL, method: string, ...args: unknown[]): Promise<{ status: number; body: any }> {
  const response = await fetch(new URL(`/api/call/${method}`, url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-dockmirror-token': url.searchParams.get('token')! },
    body: JSON.stringify(args),
  });
  return { status: response.status, body: await response.json() };
}

test('npm start without Electron says why in one sentence and runs the core headless with its window', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'dm-start-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const app = run(t, ['start', '--ui', '127.0.0.1:0'], { DOCKMIRROR_DATA_DIR: dataDir });
  const url = await windowUrl(app.output);
  assert.match(app.output(), /There is no display here \(neither DISPLAY nor WAYLAND_DISPLAY is set\), so Dockmirror runs headless/);
  const page = await fetch(url);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<html/i);
  assert.equal((await fetch(new URL('/', url))).status, 401, 'the window opened without its token');
  const port = await findFreePort();
  const changed = await call(url, 'updateSettings', { listenHost: '127.0.0.1', port, upstream: 'http://127.0.0.1:9' });
  assert.equal(changed.status, 200, JSON.stringify(changed.body));
  assert.equal(changed.body.result.mirror.serving, true);
  assert.equal((await fetch(`http://127.0.0.1:${port}/v2/`)).status, 200);
  const refused = await call(url, 'updateSettings', { port: 70000 });
  assert.equal(refused.status, 422);
  assert.match(refused.body.error.message, /port must be a number from 1 to 65535/);
  app.stop();
  const result = await app.done;
  assert.equal(result.code, 0, result.stderr);
  const settings = JSON.parse(await readFile(join(dataDir, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(settings['port'], port);
  const logs = await readdir(join(dataDir, 'logs'));
  assert.match(await readFile(join(dataDir, 'logs', logs[0]!), 'utf8'), /Dockmirror stopped/);
});

test('npm start -- --headless chooses the headless app without a word about Electron', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'dm-start-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  // A display is there this time: only the flag keeps the app headless.
  const app = run(t, ['start', '--headless', '--ui', '127.0.0.1:0'], { DOCKMIRROR_DATA_DIR: dataDir, DISPLAY: ':0' });
  const url = await windowUrl(app.output);
  assert.doesNotMatch(app.output(), /Electron|display/);
  const state = await call(url, 'getState');
  assert.equal(state.status, 200, JSON.stringify(state.body));
  assert.equal(state.body.result.settings.cachePath, join(dataDir, 'cache'));
  app.stop();
  assert.equal((await app.done).code, 0);
});

test('serve --ui hosts the window over the command line mirror; env credentials show as "saved for", never the token', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dm-serve-ui-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const port = await findFreePort();
  const token = 'dckr_pat_serve-ui-secret';
  const serve = run(t, ['serve', '--cache', dir, '--listen', `127.0.0.1:${port}`, '--upstream', 'http://127.0.0.1:9', '--ui', '127.0.0.1:0'], {
    DOCKERHUB_USERNAME: 'ui-user',
    DOCKERHUB_TOKEN: token,
  });
  const url = await windowUrl(serve.output);
  const state = await call(url, 'getState');
  assert.equal(state.status, 200);
  assert.equal(state.body.result.mirror.serving, true);
  assert.equal(state.body.result.settings.cachePath, dir);
  assert.equal(state.body.result.credentials.savedFor, 'ui-user');
  assert.ok(!JSON.stringify(state.body).includes(token));
  assert.equal((await fetch(`http://127.0.0.1:${port}/v2/`)).status, 200);
  serve.stop();
  const result = await serve.done;
  assert.equal(result.code, 0, result.stderr);
  assert.ok(!result.stdout.includes(token) && !result.stderr.includes(token), 'the token was printed');
});

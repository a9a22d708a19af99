// An unexpected error in one request, in the app as people run it headless (`dockmirror start
// --headless`: the app core, its log file, the engine in its own process). The error is real: a
// manifest record on disk whose media type holds a line break, as a torn or hand-edited file
// might, makes Node refuse the response header. The client gets 500 with OCI JSON and no stack,
// the stack goes to the app's log file, and the app keeps serving the mirror and the window.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { findFreePort } from '../../support/ports.js';

const bin = join(import.meta.dirname, '..', '..', '..', '..', 'build', 'dockmirror.js');
/** Nothing listens there: every answer in this test comes from the cache. */
const upstream = 'http://127.0.0.1:9';
const registryFolder = '127.0.0.1_9';

function startApp(t: TestContext, dataDir: string): { output: () => string } {
  const child = spawn(process.execPath, [bin, 'start', '--headless', '--ui', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DOCKMIRROR_DATA_DIR: dataDir },
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  t.after(async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  });
  return { output: () => output };
}

async function windowUrl(output: () => string): Promise<URL> {
  // Up to a minute: the bin compiles the sources first when they are newer than dist/.
  for (let i = 0; i < 1200; i++) {
    const match = /open (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(output());
    if (match) return new URL(match[1]!);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`no window address printed:\n${output()}`);
}

async function call(url: URL, method: string, ...args: unknown[]): Promise<{ status: number; body: { result?: { mirror: { serving: boolean } }; error?: unknown } }> {
  const response = await fetch(new URL(`/api/call/${method}`, url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-dockmirror-token': url.searchParams.get('token')! },
    body: JSON.stringify(args),
  });
  return { status: response.status, body: (await response.json()) as never };
}

/** A cache as Dockmirror writes it, holding one tag whose manifest record is damaged. */
async function damagedCache(dir: string): Promise<void> {
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: {}, layers: [] }));
  const hex = createHash('sha256').update(manifest).digest('hex');
  const digest = `sha256:${hex}`;
  const mediaType = 'application/vnd.oci.image.manifest.v1+json\r\nx-injected: 1';
  const files: Record<string, string | Buffer> = {
    'dockmirror-cache.json': JSON.stringify({ layout: 1, createdBy: 'dockmirror', createdAt: new Date().toISOString() }),
    [`blobs/sha256/${hex.slice(0, 2)}/${hex}`]: manifest,
    [`manifests/sha256/${hex.slice(0, 2)}/${hex}.json`]: JSON.stringify({ mediaType, size: manifest.length }),
    // Checked "in the future", so the record is fresh and the tag is answered from the cache.
    [`registries/${registryFolder}/library/broken/_tags/latest.json`]: JSON.stringify({ digest, mediaType, size: manifest.length, checkedAt: Date.now() + 86_400_000, lastPulled: null }),
    [`registries/${registryFolder}/library/broken/_links/${hex}`]: '',
  };
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}

async function logText(dataDir: string): Promise<string> {
  const dir = join(dataDir, 'logs');
  let text = '';
  for (const file of await readdir(dir).catch(() => [] as string[])) text += await readFile(join(dir, file), 'utf8');
  return text;
}

test('an unexpected error in one request is logged with its stack in the headless app\'s log file, answered 500 without it, and the app keeps serving', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'dm-internal-error-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const cache = join(dataDir, 'damaged-cache');
  await damagedCache(cache);
  const app = startApp(t, dataDir);
  const url = await windowUrl(app.output);
  const port = await findFreePort();
  assert.equal((await call(url, 'updateSettings', { listenHost: '127.0.0.1', port, upstream })).status, 200);
  const adopted = await call(url, 'changeCachePath', cache, 'empty');
  assert.equal(adopted.status, 200, JSON.stringify(adopted.body));
  assert.equal(adopted.body.result?.mirror.serving, true);
  const mirror = `http://127.0.0.1:${port}`;

  for (let i = 0; i < 3; i++) {
    const response = await fetch(`${mirror}/v2/library/broken/manifests/latest`).catch((error: Error) => assert.fail(`${error.message} ${String(error.cause)}\n${app.output()}`));
    const body = await response.text();
    assert.equal(response.status, 500);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    const parsed = JSON.parse(body) as { errors: { code: string; message: string }[] };
    assert.equal(parsed.errors[0]?.code, 'INTERNAL');
    assert.match(parsed.errors[0]!.message, /internal error/);
    assert.equal(response.headers.get('x-injected'), null);
    assert.doesNotMatch(body, /\n\s+at |ERR_INVALID_CHAR|Invalid character|\.js:\d+/, 'the stack or the error reached the wire');
    // The mirror and the window both keep answering after each failed request.
    assert.equal((await fetch(`${mirror}/v2/`)).status, 200);
    const state = await call(url, 'getState');
    assert.equal(state.status, 200);
    assert.equal(state.body.result?.mirror.serving, true);
  }

  let entry: { msg?: string; err?: { stack?: string; message?: string } } | undefined;
  for (let i = 0; i < 100 && !entry; i++) {
    entry = (await logText(dataDir))
      .split('\n')
      .filter((line) => line.includes('internal error while answering a request'))
      .map((line) => JSON.parse(line) as typeof entry)[0];
    if (!entry) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.ok(entry, `the app log has no internal error line:\n${(await logText(dataDir)).slice(-3000)}`);
  assert.match(entry.err?.message ?? '', /Invalid character in header content/);
  assert.match(entry.err?.stack ?? '', /\n\s+at .+/, 'the log line carries no stack');
  assert.match(app.output(), /Dockmirror's window: open/);
});

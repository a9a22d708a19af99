// The headless CLI as a person runs it: the banner, plain errors, and a clean stop on signals.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { test } from 'node:test';
import { engineNodeFlags } from '../../mirror/process-flags.js';

const bin = join(import.meta.dirname, '..', '..', '..', 'build', 'dockmirror.js');

/** Runs the bin as `npx dockmirror` does: executed itself, so its shebang picks node and its flags. */
function run(args: string[]): {
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
  kill: (signal: NodeJS.Signals) => void;
  stdout: () => string;
  pid: number;
} {
  // The shebang's `node` is looked up on PATH: put the node running this test first.
  const path = `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`;
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PATH: path, DOCKERHUB_USERNAME: '', DOCKERHUB_TOKEN: '' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stdout, stderr })),
  );
  return { done, kill: (signal) => child.kill(signal), stdout: () => stdout, pid: child.pid ?? -1 };
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('serve prints the LAN addresses and the daemon.json snippet, and stops cleanly on SIGTERM', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dockmirror-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const serve = run(['serve', '--listen', '127.0.0.1:0', '--cache', join(dir, 'cache'), '--upstream', 'http://127.0.0.1:9', '--log-level', 'warn']);
  t.after(() => serve.kill('SIGKILL'));
  await waitFor(() => serve.stdout().includes('registry-mirrors'), 'the banner');
  const port = Number(/127\.0\.0\.1:(\d+), caching/.exec(serve.stdout())?.[1]);
  assert.ok(port > 0, serve.stdout());
  const base = await fetch(`http://127.0.0.1:${port}/v2/`);
  assert.equal(base.status, 200);
  assert.equal(base.headers.get('docker-distribution-api-version'), 'registry/2.0');
  assert.match(serve.stdout(), /"registry-mirrors": \[\s*"http:\/\/127\.0\.0\.1:\d+"\s*\]/);
  assert.match(serve.stdout(), /Pulls are anonymous/);
  // The mirror's process runs with the engine's Node flags (the shebang's env -S passed them on).
  const argv = (await readFile(`/proc/${serve.pid}/cmdline`, 'utf8')).split('\0');
  for (const flag of engineNodeFlags) assert.ok(argv.includes(flag), `dockmirror serve runs as ${argv.join(' ')}, without ${flag}`);
  serve.kill('SIGTERM');
  const result = await serve.done;
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /Received SIGTERM/);
});

test('a taken port is reported in one sentence', async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  const dir = await mkdtemp(join(tmpdir(), 'dockmirror-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const result = await run(['serve', '--listen', `127.0.0.1:${port}`, '--cache', dir]).done;
  assert.equal(result.code, 1);
  assert.equal(result.stderr.trim(), `dockmirror: Port ${port} on 127.0.0.1 is already in use; choose another port with --listen.`);
});

test('an unwritable cache folder is reported in one sentence', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dockmirror-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  // Running as root ignores permission bits, so make the folder impossible instead: its parent is a file.
  await writeFile(join(dir, 'file'), '');
  const result = await run(['serve', '--listen', '127.0.0.1:0', '--cache', join(dir, 'file', 'cache')]).done;
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^dockmirror: The cache folder .*file\/cache cannot be written \(ENOTDIR\); choose another with --cache or fix its permissions\.\n$/);
});

test('bad option values and unknown commands are plain sentences, not stack traces', async () => {
  const badSize = await run(['serve', '--cache', join(tmpdir(), 'dockmirror-never-created'), '--max-size', 'huge']).done;
  assert.equal(badSize.code, 1);
  assert.match(badSize.stderr, /"huge" is not a size/);
  assert.doesNotMatch(badSize.stderr, /\n\s+at /);
  const unknown = await run(['fly']).done;
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command "fly"/);
});

test('the npm scripts that run the mirror pass the engine\'s Node flags too', async () => {
  const manifest = JSON.parse(await readFile(join(import.meta.dirname, '..', '..', '..', 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  for (const script of ['start', 'serve']) {
    const words = manifest.scripts[script]?.split(/\s+/) ?? [];
    for (const flag of engineNodeFlags) assert.ok(words.includes(flag), `npm run ${script} is "${manifest.scripts[script]}", without ${flag}`);
  }
});

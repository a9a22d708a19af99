// keytar against a real Secret Service: gnome-keyring-daemon in its own D-Bus session (from
// dbus-run-session) with a throwaway home, as a Linux desktop has it. And the same app without
// any Secret Service: a plain sentence, anonymous pulls, and the token written nowhere.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, type TestContext } from 'node:test';
import { findFreePort } from '../support/ports.js';

const child = fileURLToPath(new URL('../support/keychain-session.js', import.meta.url));
const user = 'keychain-tester';
const token = `dckr_pat_${Math.random().toString(36).slice(2)}${Date.now()}`;

interface Report {
  before: { credentials: { keychainAvailable: boolean; savedFor: string | null; message?: string }; problems: string[] };
  saved?: { keychainAvailable: boolean; savedFor: string | null };
  saveError?: string;
  stateAfterSave: string;
  readBack: string | null;
  deleted?: { savedFor: string | null };
  deleteError?: string;
  serving: boolean;
}

async function home(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dm-keyring-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'run'), { mode: 0o700 });
  return dir;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Report> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env, timeout: 60_000 }, (error, stdout, stderr) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      if (error && !line.startsWith('{')) return reject(new Error(`${command} failed: ${error.message}\n${stderr}`));
      resolve(JSON.parse(line) as Report);
    });
  });
}

async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { recursive: true })) {
    const path = join(dir, entry);
    if (!(await stat(path)).isFile()) continue;
    if ((await readFile(path)).includes(needle)) found.push(entry);
  }
  return found;
}

test('with a Secret Service: saved, reported as "saved for <user>", read back, deleted; never in state or files', async (t) => {
  const dir = await home(t);
  const env = {
    PATH: process.env['PATH'], HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_RUNTIME_DIR: join(dir, 'run'),
    KEYCHAIN_TEST_USER: user, KEYCHAIN_TEST_TOKEN: token, KEYCHAIN_TEST_DATA: join(dir, 'app'), KEYCHAIN_TEST_PORT: String(await findFreePort()),
  };
  const script = `printf unlock | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec "${process.execPath}" "${child}"`;
  const report = await run('dbus-run-session', ['--', 'sh', '-c', script], env);
  assert.equal(report.before.credentials.keychainAvailable, true, JSON.stringify(report.before));
  assert.deepEqual(report.saved, { keychainAvailable: true, savedFor: user }, report.saveError);
  assert.equal(report.readBack, token, 'keytar did not return the saved token');
  assert.ok(!report.stateAfterSave.includes(token), 'the token reached the window state');
  assert.ok(report.stateAfterSave.includes(`"savedFor":"${user}"`));
  assert.equal(report.deleted?.savedFor, null, report.deleteError);
  assert.equal(report.serving, true);
  assert.ok((await readdir(join(dir, 'data', 'keyrings'))).length > 0, 'gnome-keyring stored nothing');
  assert.deepEqual(await filesContaining(dir, token), [], 'the token is in plain text on disk');
});

test('without a Secret Service: a plain sentence, the mirror serves anonymously, the token goes nowhere', async (t) => {
  const dir = await home(t);
  const env = {
    PATH: process.env['PATH'], HOME: dir, XDG_RUNTIME_DIR: join(dir, 'run'),
    DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(dir, 'no-bus')}`,
    KEYCHAIN_TEST_USER: user, KEYCHAIN_TEST_TOKEN: token, KEYCHAIN_TEST_DATA: join(dir, 'app'), KEYCHAIN_TEST_PORT: String(await findFreePort()),
  };
  const report = await run(process.execPath, [child], env);
  assert.equal(report.before.credentials.keychainAvailable, false);
  assert.match(report.before.credentials.message ?? '', /No keychain is available .* keeps working anonymously/);
  assert.ok(report.before.problems.includes('keychain-unavailable'));
  assert.match(report.saveError ?? '', /No keychain is available/);
  assert.equal(report.serving, true);
  assert.deepEqual(await filesContaining(dir, token), []);
});

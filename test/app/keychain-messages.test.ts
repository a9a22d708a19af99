// Two different failures, two different fixes: keytar's native module that cannot be loaded, and
// a desktop where no Secret Service runs. Both for real: a copy of keytar whose native module was
// never built, and D-Bus sessions (dbus-run-session) with and without gnome-keyring in them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test, type TestContext } from 'node:test';
import { keychainCallMessage, keytarMissingMessage, noSecretServiceMessage } from '../../main/core/keychain.js';

const probe = fileURLToPath(new URL('../support/keychain-probe.js', import.meta.url));
const keytarPackage = fileURLToPath(new URL('../../../node_modules/keytar/', import.meta.url));

async function home(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dm-keytar-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'run'), { mode: 0o700 });
  return dir;
}

/** keytar as an install that skipped or failed its native build has it: the JS, no keytar.node. */
async function unbuiltKeytar(dir: string): Promise<string> {
  const copy = join(dir, 'node_modules', 'keytar');
  await cp(join(keytarPackage, 'package.json'), join(copy, 'package.json'));
  await cp(join(keytarPackage, 'lib'), join(copy, 'lib'), { recursive: true });
  return pathToFileURL(join(copy, 'lib', 'keytar.js')).href;
}

function runProbe(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string | null> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env, timeout: 60_000 }, (error, stdout, stderr) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      if (!line.startsWith('{')) return reject(new Error(`${command} failed: ${error?.message}\n${stderr}`));
      resolve((JSON.parse(line) as { problem: string | null }).problem);
    });
  });
}

function sessionEnv(dir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'], HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_RUNTIME_DIR: join(dir, 'run'), ...extra };
}

/**
 * A session bus that activates nothing, as on a desktop without a keyring installed: the stock
 * session config would start gnome-keyring on the first call, since it is installed here.
 */
async function bareBusConfig(dir: string): Promise<string> {
  const file = join(dir, 'bare-session.conf');
  await writeFile(
    file,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=${join(dir, 'run')}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default"><allow send_destination="*"/><allow receive_sender="*"/><allow own="*"/></policy>
</busconfig>
`,
  );
  return file;
}

const withKeyring = `printf unlock | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec "${process.execPath}" "${probe}"`;

test('a Secret Service in the session: the keychain works', async (t) => {
  const dir = await home(t);
  assert.equal(await runProbe('dbus-run-session', ['--', 'sh', '-c', withKeyring], sessionEnv(dir)), null);
});

test('keytar that cannot be loaded says so and how to fix it, even with a Secret Service running', async (t) => {
  const dir = await home(t);
  const module = await unbuiltKeytar(dir);
  const problem = await runProbe('dbus-run-session', ['--', 'sh', '-c', withKeyring], sessionEnv(dir, { KEYCHAIN_PROBE_MODULE: module }));
  assert.match(problem ?? '', /^Dockmirror's keychain module \(keytar\) could not be loaded \(Cannot find module '\.\.\/build\/Release\/keytar\.node'/);
  assert.match(problem ?? '', /npm rebuild keytar/);
  assert.doesNotMatch(problem ?? '', /Secret Service/);
  // A keytar that is not there at all reads the same way.
  const absent = await runProbe(process.execPath, [probe], sessionEnv(dir, { KEYCHAIN_PROBE_MODULE: pathToFileURL(join(dir, 'nowhere', 'keytar.js')).href }));
  assert.match(absent ?? '', /keychain module \(keytar\) could not be loaded \(Cannot find module .*nowhere/);
});

test('no Secret Service: no session bus at all, or a bus with no keyring on it; the fix names one to start', async (t) => {
  const dir = await home(t);
  const noBus = await runProbe(process.execPath, [probe], sessionEnv(dir, { DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(dir, 'no-bus')}` }));
  assert.equal(noBus, noSecretServiceMessage);
  const emptyBus = await runProbe('dbus-run-session', [`--config-file=${await bareBusConfig(dir)}`, '--', process.execPath, probe], sessionEnv(dir));
  assert.equal(emptyBus, noSecretServiceMessage);
  assert.match(noSecretServiceMessage, /no Secret Service is running.*install and start a Secret Service \(gnome-keyring/);
  assert.doesNotMatch(noSecretServiceMessage, /keytar/);
});

test('other keychain errors keep their own words, per platform', () => {
  assert.equal(keychainCallMessage(new Error('Cannot autolaunch D-Bus without X11 $DISPLAY'), 'linux'), noSecretServiceMessage);
  assert.match(keychainCallMessage(new Error('No such secret collection at path: /'), 'linux'), /^The keychain refused Dockmirror \(No such secret collection at path: \/\)/);
  assert.match(keychainCallMessage(new Error('User interaction is not allowed.'), 'darwin'), /^The macOS Keychain refused Dockmirror \(User interaction is not allowed\.\)/);
  assert.match(keychainCallMessage(new Error('Element not found.'), 'win32'), /^The Windows Credential Manager refused/);
  assert.match(keytarMissingMessage(new Error('first\n    at stack')), /\(first\)/);
});

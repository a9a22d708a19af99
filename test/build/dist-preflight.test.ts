// `npm run dist` checks first what the installers need: Node 22.12 or newer (@electron/rebuild,
// which electron-builder runs to build keytar for Electron, requires it), said in one sentence;
// and which signing and notarization identities the environment holds, named, never shown.
// The CLI and the headless mode need none of this and keep running on Node 20.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const script = join(root, 'build', 'dist-preflight.mjs');
const run = promisify(execFile);

interface Report {
  lines: string[];
  problems: string[];
}
interface Preflight {
  distNodeProblem(version: string): string | null;
  signingReport(platform: NodeJS.Platform, env: Record<string, string | undefined>): Report;
}
const preflight = (await import(pathToFileURL(script).href)) as Preflight;

/** One sentence: a capital first, one full stop, at the end (version numbers aside). */
function isOneSentence(text: string): boolean {
  return /^[A-Za-z`]/.test(text) && text.endsWith('.') && !/\.\s/.test(text.slice(0, -1));
}

test('Node older than 22.12 gets one sentence naming both versions; 22.12 and newer pass', () => {
  for (const old of ['20.20.2', 'v20.18.1', '22.11.9', 'v22.0.0', '18.20.0']) {
    const problem = preflight.distNodeProblem(old);
    assert.ok(problem !== null, old);
    assert.ok(isOneSentence(problem), problem);
    assert.match(problem, /Node 22\.12 or newer/);
    assert.ok(problem.includes(old.replace(/^v/, '')), problem);
    assert.match(problem, /@electron\/rebuild/);
  }
  for (const fine of ['22.12.0', 'v22.12.1', '22.13.0', '23.0.0', 'v24.11.1', '22.12']) assert.equal(preflight.distNodeProblem(fine), null, fine);
});

test('the script, run by this Node, stops (exit 1, one sentence on stderr) exactly when this Node is too old', async () => {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  const tooOld = major < 22 || (major === 22 && minor < 12);
  // No identities in its environment, so on a new enough Node only the signing lines are printed.
  const env = { PATH: process.env['PATH'] ?? '' };
  const outcome = await run(process.execPath, [script], { env }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
  assert.equal(outcome.stdout, '');
  if (tooOld) {
    assert.equal(outcome.code, 1);
    assert.ok(isOneSentence(outcome.stderr.trimEnd()) && outcome.stderr.endsWith('.\n') && !outcome.stderr.trimEnd().includes('\n'), outcome.stderr);
    assert.ok(outcome.stderr.includes(`this is Node ${process.versions.node}`), outcome.stderr);
  } else assert.deepEqual(outcome, { code: 0, stdout: '', stderr: preflight.signingReport(process.platform, env).lines.map((line) => `${line}\n`).join('') });
});

test('npm run dist runs the check before anything else; start and serve do not, and engines still allow Node 20', async () => {
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string>; engines: { node: string } };
  assert.ok(pkg.scripts['dist']!.startsWith('node build/dist-preflight.mjs && '));
  for (const name of ['start', 'serve', 'build', 'test']) assert.ok(!pkg.scripts[name]!.includes('dist-preflight'), name);
  assert.equal(pkg.engines.node, '>=20.18.1');
});

test('the CLI runs on this Node (20 on the build hosts), with no dist check in its way', async () => {
  const { stdout } = await run(process.execPath, [join(root, 'build', 'dockmirror.js'), '--help']);
  assert.match(stdout, /dockmirror serve --cache DIR/);
});

const secrets = {
  CSC_LINK: 'base64-p12-SECRET-1',
  CSC_KEY_PASSWORD: 'SECRET-2',
  WIN_CSC_LINK: 'https://example.invalid/SECRET-3.pfx',
  WIN_CSC_KEY_PASSWORD: 'SECRET-4',
  APPLE_API_KEY: '/keys/AuthKey_SECRET-5.p8',
  APPLE_API_KEY_ID: 'SECRET-6',
  APPLE_API_ISSUER: 'SECRET-7',
};

function text(report: Report): string {
  return [...report.lines, ...report.problems].join('\n');
}

test('signing: the report names the variables it found and never prints a value', () => {
  const mac = preflight.signingReport('darwin', secrets);
  assert.deepEqual(mac.problems, []);
  assert.match(text(mac), /certificate in CSC_LINK \(password in CSC_KEY_PASSWORD\)/);
  assert.match(text(mac), /notarizing with APPLE_API_KEY, APPLE_API_KEY_ID, APPLE_API_ISSUER/);
  const win = preflight.signingReport('win32', secrets);
  assert.match(text(win), /certificate in WIN_CSC_LINK \(password in WIN_CSC_KEY_PASSWORD\)/);
  for (const report of [mac, win, preflight.signingReport('linux', secrets)]) assert.doesNotMatch(text(report), /SECRET/);
});

test('signing: without identities it says what goes out unsigned; a half-set notarization stops the build', () => {
  assert.match(text(preflight.signingReport('darwin', {})), /not notarizing \(set APPLE_API_KEY, APPLE_API_KEY_ID and APPLE_API_ISSUER/);
  assert.match(text(preflight.signingReport('darwin', { CSC_IDENTITY_AUTO_DISCOVERY: 'false' })), /not signing/);
  assert.match(text(preflight.signingReport('win32', {})), /not signing \(set WIN_CSC_LINK and WIN_CSC_KEY_PASSWORD\)/);
  assert.match(text(preflight.signingReport('linux', {})), /not signed/);
  const half = preflight.signingReport('darwin', { APPLE_ID: 'someone@example.invalid', APPLE_TEAM_ID: 'SECRET-8' });
  assert.deepEqual(half.problems, ['Notarization needs all of APPLE_ID, APPLE_APP_SPECIFIC_PASSWORD, APPLE_TEAM_ID; APPLE_APP_SPECIFIC_PASSWORD is not set.']);
  assert.doesNotMatch(text(half), /SECRET|someone@/);
});

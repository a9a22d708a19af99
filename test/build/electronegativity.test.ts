// @doyensec/electronegativity over the app's sources (main/, the preload, renderer/) and over
// the compiled files electron-builder packs (dist/main, dist/renderer): no HIGH or CRITICAL
// finding. Next to them an insecure fixture it must flag, so a scanner that reads nothing cannot
// pass. Each scan runs in a child process in a network namespace of its own: electronegativity
// fetches translations from S3 on every run, and nothing may leave this machine.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const run = promisify(execFile);

interface Finding {
  id: string;
  file: string;
  severity: string;
}
interface ScanResult {
  errors: Array<{ file: string; message: string }>;
  issues: Finding[];
}

async function scan(input: string): Promise<ScanResult> {
  const { version } = JSON.parse(await readFile(join(root, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string };
  // The security-fix check downloads Electron's release list; the version is pinned here instead.
  const options = { input, electronVersionOverride: version, excludeFromScan: ['AvailableSecurityFixesGlobalCheck'] };
  const script = [
    `const run = require(${JSON.stringify(join(root, 'node_modules', '@doyensec', 'electronegativity'))});`,
    `run(${JSON.stringify(options)}).then((result) => {`,
    '  const issues = result.issues.map((issue) => ({ id: issue.id, file: issue.file, severity: issue.severity.name }));',
    "  process.stderr.write('\\n@@' + JSON.stringify({ errors: result.errors, issues }) + '\\n');",
    '});',
  ].join('\n');
  const { stderr } = await run('unshare', ['--net', process.execPath, '-e', script], { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
  const line = stderr.split('\n').find((candidate) => candidate.startsWith('@@'));
  if (!line) throw new Error(`electronegativity printed no result: ${stderr.slice(-2000)}`);
  return JSON.parse(line.slice(2)) as ScanResult;
}

async function workDir(t: TestContext, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function assertNoHighFinding({ errors, issues }: ScanResult, windowFile: string): void {
  assert.deepEqual(errors, [], 'every file parsed');
  const high = issues.filter((issue) => issue.severity === 'HIGH' || issue.severity === 'CRITICAL');
  assert.deepEqual(high.map((issue) => `${issue.id} in ${issue.file}`), []);
  // Proof the window code was read: its preload is always listed for review.
  assert.ok(issues.some((issue) => issue.id === 'PRELOAD_JS_CHECK' && issue.file.endsWith(windowFile)), `${windowFile} was scanned`);
  // Proof the page was read, and that it has a CSP (without one this finding is not LOW).
  assert.ok(issues.some((issue) => issue.id === 'CSP_GLOBAL_CHECK' && issue.file.endsWith('index.html')), 'index.html was scanned');
  assert.ok(!issues.some((issue) => issue.id === 'CSP_GLOBAL_CHECK' && issue.severity !== 'LOW'), 'the page has a CSP');
}

test('electronegativity finds no high-severity issue in the sources: main/, the preload and renderer/', async (t) => {
  const dir = await workDir(t, 'dm-eng-src-');
  await cp(join(root, 'main'), join(dir, 'main'), { recursive: true });
  await cp(join(root, 'renderer'), join(dir, 'renderer'), { recursive: true });
  // electronegativity reads .ts but skips .cts; the preload is TypeScript all the same.
  await rename(join(dir, 'main', 'preload.cts'), join(dir, 'main', 'preload.ts'));
  assertNoHighFinding(await scan(dir), 'window.ts');
});

test('electronegativity finds no high-severity issue in the compiled main and renderer that get packed', async (t) => {
  const dir = await workDir(t, 'dm-eng-dist-');
  await cp(join(root, 'dist', 'main'), join(dir, 'main'), { recursive: true, filter: (source) => !source.endsWith('.map') });
  await cp(join(root, 'dist', 'renderer'), join(dir, 'renderer'), { recursive: true, filter: (source) => !source.endsWith('.map') });
  await rename(join(dir, 'main', 'preload.cjs'), join(dir, 'main', 'preload.js'));
  assertNoHighFinding(await scan(dir), 'window.js');
});

test('electronegativity does flag an insecure window, so the scans above can fail', async (t) => {
  const dir = await workDir(t, 'dm-eng-bad-');
  await writeFile(
    join(dir, 'main.js'),
    "const { app, BrowserWindow } = require('electron');\n" +
      "app.whenReady().then(() => {\n  const win = new BrowserWindow({ webPreferences: { nodeIntegration: true, contextIsolation: false } });\n  win.loadURL('http://example.com/');\n});\n",
  );
  const { issues } = await scan(dir);
  const high = new Set(issues.filter((issue) => issue.severity === 'HIGH').map((issue) => issue.id));
  // The two high-severity checks main/ passes: context isolation, and navigation limits.
  assert.ok(high.has('CONTEXT_ISOLATION_JS_CHECK') && high.has('LIMIT_NAVIGATION_GLOBAL_CHECK'), [...high].join(', '));
});

// The app's log file on a real disk: it rotates by size, keeps five files in all across restarts
// of the app, and never holds a secret that was logged by mistake.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultLogRotation, openAppLog } from '../../main/core/app-logger.js';

async function logFiles(dataDir: string): Promise<string[]> {
  return (await readdir(join(dataDir, 'logs'))).filter((name) => name.endsWith('.log')).sort();
}

async function allLogText(dataDir: string): Promise<string> {
  const texts = await Promise.all((await logFiles(dataDir)).map((name) => readFile(join(dataDir, 'logs', name), 'utf8')));
  return texts.join('');
}

const numberWords: Record<string, number> = { two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10 };

/** The rotation the README promises, read from its sentence about `logs/`. */
async function readmeRotation(): Promise<{ fileBytes: number; files: number }> {
  const readme = await readFile(join(import.meta.dirname, '..', '..', '..', 'README.md'), 'utf8');
  const match = /`logs\/` \(a new file every (\d+) MiB, (\w+) files in all/.exec(readme.replace(/\s+/g, ' '));
  assert.ok(match, 'the README no longer says how the log rotates');
  const files = numberWords[match[2]!] ?? Number(match[2]);
  return { fileBytes: Number(match[1]) * 1024 * 1024, files };
}

test('the default rotation is what the README says', async () => {
  assert.deepEqual(defaultLogRotation, await readmeRotation());
});

test('the log rotates by size and keeps at most five files, also across restarts of the app', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'dockmirror-log-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const rotation = { fileBytes: 4096, files: 5 };
  const padding = 'x'.repeat(200);
  for (let run = 1; run <= 3; run++) {
    const log = await openAppLog(dataDir, 'info', rotation);
    // ~24 KiB a run: six files' worth, so each run rotates past the limit on its own.
    for (let line = 0; line < 100; line++) {
      log.logger.info({ run, line, padding }, 'pull');
      // pino-roll checks the size as each write reaches the file, and rolls once the file's
      // stream has drained: let the writes land, as they do between a mirror's pulls.
      if (line % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await log.close();
    const files = await logFiles(dataDir);
    assert.ok(files.length <= rotation.files, `after run ${run} the log folder holds ${files.length} files: ${files.join(', ')}`);
    assert.ok(files.length >= 2, `run ${run} did not rotate: ${files.join(', ')}`);
  }
  const text = await allLogText(dataDir);
  assert.match(text, /"run":3,"line":99,/, 'the newest line is kept');
  assert.doesNotMatch(text, /"run":1,/, 'the first run, older than five files, is gone');
});

test('secrets logged by mistake reach the file redacted', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'dockmirror-log-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const log = await openAppLog(dataDir, 'info');
  log.logger.info({ password: 'hunter2-password', token: 'dckr_pat_leak', headers: { authorization: 'Bearer leaked-bearer' }, upstream: { credentials: 'user:pw-leak' } }, 'careless');
  await log.close();
  const text = await allLogText(dataDir);
  assert.match(text, /careless/);
  for (const secret of ['hunter2-password', 'dckr_pat_leak', 'leaked-bearer', 'pw-leak']) assert.ok(!text.includes(secret), `${secret} reached the log`);
});

// `dockmirror serve` serves the setup scripts too (issue 14): the banner offers the one-liner,
// /setup lists the scripts, and a script names the address the request came in on.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startServeCli } from '../support/cli-process.js';

test('dockmirror serve answers /setup and prints the one-liner', async (t) => {
  const cache = await mkdtemp(join(tmpdir(), 'dm-cli-setup-'));
  t.after(() => rm(cache, { recursive: true, force: true }));
  const cli = await startServeCli(['--cache', join(cache, 'c'), '--upstream', 'http://127.0.0.1:9']);
  t.after(async () => {
    cli.kill('SIGTERM');
    await cli.exited;
  });
  assert.match(cli.stdout(), /Or set a host up with one line .*\n  curl -fsSL 'http:\/\/[^']+\/setup\/docker' \| sudo sh/);
  const index = await fetch(`${cli.base}/setup`);
  assert.equal(index.status, 200);
  assert.match(await index.text(), new RegExp(`curl -fsSL '${cli.base.replace(/\./g, '\\.')}/setup/podman' \\| sudo sh`));
  const script = await (await fetch(`${cli.base}/setup/docker`)).text();
  assert.ok(script.includes(`MIRROR='${cli.base}'`), script.slice(0, 400));
});

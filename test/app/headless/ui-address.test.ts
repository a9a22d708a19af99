// The window's own address rules, against real servers: it answers only under the names loopback
// has and the exact address it is bound to (never a name that merely starts with "127."), a
// window address other machines can reach is refused unless asked for with --ui-allow-lan, and
// then the allowlist decides which LAN hosts the window serves, with a warning printed.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { startHeadless } from '../../../main/headless/server.js';
import type { CliProcess } from '../../support/cli-process.js';
import { FakeApi } from '../../support/fake-api.js';
import { findFreePort } from '../../support/ports.js';
import { useLanFixture } from '../../support/lan-fixture.js';

const fixture = useLanFixture('dockmirror-ui-address-');

/** A raw GET whose Host header is exactly `host` (or absent for null). */
function rawGet(port: number, path: string, host: string | null): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, setHost: false, headers: host === null ? {} : { Host: host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

test('the window answers only as localhost, 127.0.0.1, [::1] and its bound address, with its port', async (t) => {
  const rendererDir = join(fixture.workDir, 'renderer');
  await mkdir(rendererDir, { recursive: true });
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>ui</title>');
  const server = await startHeadless(new FakeApi(join(fixture.workDir, 'cache')), { host: '127.0.0.1', port: 0, rendererDir });
  t.after(() => server.close());
  const port = Number(new URL(server.url).port);
  const path = `/?token=${server.token}`;
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `LocalHost:${port}`]) {
    assert.equal(await rawGet(port, path, host), 200, host);
  }
  for (const host of [
    `127.0.0.1.evil.example:${port}`, `127.1.2.3:${port}`, `127.evil.example:${port}`, `localhost.:${port}`, `localhost.evil.example:${port}`,
    `evil.example:${port}`, `127.0.0.1:${port + 1}`, '127.0.0.1', 'localhost', `[::1]:${port}0`, `[::ffff:127.0.0.1]:${port}`,
  ]) {
    assert.equal(await rawGet(port, path, host), 421, JSON.stringify(host));
  }
  // Node's parser refuses these itself (400) before the window sees them; either way, not served.
  for (const host of ['', null]) assert.ok([400, 421].includes(await rawGet(port, path, host)), JSON.stringify(host));
});

async function serveWithWindow(ui: string, extra: string[]): Promise<{ cli: CliProcess; windowUrl: URL }> {
  const cli = fixture.spawn(['serve', '--listen', `127.0.0.1:${await findFreePort()}`, '--cache', join(fixture.workDir, `cache-${fixture.spawned}`), '--upstream', 'http://127.0.0.1:9', '--ui', ui, ...extra], {
    env: { DOCKMIRROR_DATA_DIR: join(fixture.workDir, `data-${fixture.spawned}`) },
  });
  const deadline = Date.now() + 30_000;
  let match: RegExpExecArray | null = null;
  while (!(match = /Dockmirror's window: open (\S+)/.exec(cli.stdout()))) {
    if (cli.child.exitCode !== null || Date.now() > deadline) throw new Error(`the window did not start:\n${cli.stdout()}\n${cli.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { cli, windowUrl: new URL(match[1]!) };
}

async function statusFromLan(url: string, host?: string): Promise<string> {
  const args = ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', ...(host ? ['-H', `Host: ${host}`] : []), url];
  return (await fixture.lan.exec('/usr/bin/curl', args)).stdout.trim();
}

test('--ui on an address other machines can reach is refused unless --ui-allow-lan is given', async () => {
  for (const ui of ['0.0.0.0:0', `${fixture.lan.hostAddress}:0`, '[::]:0']) {
    const cli = fixture.spawn(['serve', '--listen', '127.0.0.1:0', '--cache', join(fixture.workDir, 'refused'), '--ui', ui]);
    const timer = setTimeout(() => cli.kill('SIGKILL'), 20_000);
    const exit = await cli.exited;
    clearTimeout(timer);
    assert.equal(exit.code, 1, `${ui}: ${exit.stdout}`);
    assert.match(exit.stderr, /other machines can reach it.*--ui-allow-lan/, ui);
    assert.doesNotMatch(exit.stdout, /window: open/);
  }
  const lonely = fixture.spawn(['serve', '--listen', '127.0.0.1:0', '--cache', join(fixture.workDir, 'refused'), '--ui-allow-lan']);
  assert.match((await lonely.exited).stderr, /--ui-allow-lan only applies with --ui/);
});

test('with --ui-allow-lan the window warns, serves allowed LAN hosts and refuses the others', async () => {
  const subnet = fixture.lan.hostAddress.replace(/\.1$/, '.0/24');
  const allowed = await serveWithWindow(`${fixture.lan.hostAddress}:0`, ['--ui-allow-lan', '--allow', `127.0.0.0/8,${subnet}`]);
  assert.match(allowed.cli.stdout(), /Warning: the window listens on 198\.18\.\d+\.1:\d+, reachable from the LAN/);
  assert.equal(await statusFromLan(allowed.windowUrl.href), '200');
  assert.equal(await statusFromLan(allowed.windowUrl.href, `evil.example:${allowed.windowUrl.port}`), '421', 'a rebinding name is still refused');
  allowed.cli.kill('SIGTERM');
  await allowed.cli.exited;

  const narrowed = await serveWithWindow(`${fixture.lan.hostAddress}:0`, ['--ui-allow-lan', '--allow', '127.0.0.0/8,10.0.0.0/8']);
  assert.equal(await statusFromLan(narrowed.windowUrl.href), '403', 'a LAN host outside the allowlist is refused');
  narrowed.cli.kill('SIGTERM');
  await narrowed.cli.exited;
});

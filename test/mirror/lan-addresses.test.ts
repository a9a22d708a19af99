// The default allowlist is the private ranges, 169.254.0.0/16 and this machine's own subnets, the
// same for the CLI and the app; and an address printed for LAN hosts is never one the allowlist
// refuses without a warning: the CLI says so on stderr, the app as a health problem. The real
// runs use a LAN host in a network namespace on 198.18.x.0/24, a network outside the private
// ranges, as an office on public addresses would be.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { createAppCore } from '../../main/core/app-core.js';
import { memorySettingsStore, sessionKeychain } from '../../main/core/memory-stores.js';
import { defaultSettings } from '../../main/core/settings.js';
import type { NetworkInterfaceInfo } from 'node:os';
import { allowlistWarning, defaultAllowlist, mirrorAddresses, privateRanges, type InterfaceTable } from '../../mirror/lan-addresses.js';
import type { CliProcess } from '../support/cli-process.js';
import { useLanFixture } from '../support/lan-fixture.js';

const info = (address: string, cidr: string, family: 'IPv4' | 'IPv6', internal = false) =>
  ({ address, cidr, family, internal, netmask: '', mac: '00:00:00:00:00:00', ...(family === 'IPv6' ? { scopeid: 0 } : {}) }) as NetworkInterfaceInfo;

const table: InterfaceTable = {
  lo: [info('127.0.0.1', '127.0.0.1/8', 'IPv4', true), info('::1', '::1/128', 'IPv6', true)],
  eth0: [info('203.0.113.7', '203.0.113.7/24', 'IPv4'), info('fd12:3456::5', 'fd12:3456::5/64', 'IPv6'), info('2001:db8:1::9', '2001:db8:1::9/64', 'IPv6')],
  wlan0: [info('100.64.1.9', '100.64.1.9/10', 'IPv4'), info('192.168.4.2', '192.168.4.2/24', 'IPv4')],
};

const fixture = useLanFixture('dockmirror-lan-default-');

test('the default allowlist is the private ranges, 169.254.0.0/16 and the interfaces\' own networks', () => {
  const list = defaultAllowlist(table);
  for (const range of privateRanges) assert.ok(list.includes(range), range);
  assert.ok(list.includes('169.254.0.0/16'));
  assert.deepEqual(list.slice(privateRanges.length), ['203.0.113.0/24', '2001:db8:1::/64', '100.64.0.0/10'], 'the networks, not the host addresses, and none the private ranges cover');
  // The app starts from the same function as the CLI.
  assert.deepEqual(defaultSettings('/data').allowlist, defaultAllowlist());
});

test('a narrowed allowlist that refuses a listed address gets a sentence naming it and its network', () => {
  const addresses = mirrorAddresses({ host: '0.0.0.0', port: 5000 }, table);
  assert.equal(allowlistWarning(defaultAllowlist(table), addresses, table), null, 'the default refuses none of them');
  const warning = allowlistWarning(['192.168.0.0/16', '127.0.0.0/8'], addresses, table);
  assert.match(warning ?? '', /refuses 203\.0\.113\.7 \(eth0\), 100\.64\.1\.9 \(wlan0\)/);
  assert.match(warning ?? '', /Add 203\.0\.113\.0\/24, 100\.64\.0\.0\/10 to the allowlist/);
});

/** Starts `dockmirror serve` on the LAN host's side of the veth; resolves with its port. */
async function serveOnLan(extra: string[]): Promise<{ cli: CliProcess; port: number }> {
  const cli = fixture.spawn(['serve', '--listen', `${fixture.lan.hostAddress}:0`, '--cache', join(fixture.workDir, 'cache'), '--upstream', 'http://127.0.0.1:9', ...extra]);
  const deadline = Date.now() + 20_000;
  while (!cli.stdout().includes('registry-mirrors')) {
    if (cli.child.exitCode !== null || Date.now() > deadline) throw new Error(`serve did not start:\n${cli.stdout()}\n${cli.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return { cli, port: Number(new RegExp(`${fixture.lan.hostAddress.replace(/\./g, '\\.')}:(\\d+), caching`).exec(cli.stdout())![1]) };
}

async function statusFromLan(port: number): Promise<string> {
  const result = await fixture.lan.exec('/usr/bin/curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', `http://${fixture.lan.hostAddress}:${port}/v2/`]);
  return result.stdout.trim();
}

test('the CLI serves a LAN host on its own non-private network by default, and warns when --allow refuses it', async () => {
  const served = await serveOnLan([]);
  assert.match(served.cli.stdout(), new RegExp(`http://${fixture.lan.hostAddress.replace(/\./g, '\\.')}:${served.port}`), 'the address is printed for LAN hosts');
  assert.equal(await statusFromLan(served.port), '200', 'the printed address serves its own network');
  assert.equal(served.cli.stderr(), '', 'no warning for the default');
  served.cli.kill('SIGTERM');
  await served.cli.exited;

  const narrowed = await serveOnLan(['--allow', '10.0.0.0/8']);
  assert.equal(await statusFromLan(narrowed.port), '403');
  const subnet = fixture.lan.hostAddress.replace(/\.1$/, '.0/24');
  assert.match(narrowed.cli.stderr(), new RegExp(`warning: The allowlist refuses ${fixture.lan.hostAddress.replace(/\./g, '\\.')} \\(dmxh[0-9a-f]+\\).*Add ${subnet.replace(/[./]/g, '\\$&')} to the allowlist`));
  narrowed.cli.kill('SIGTERM');
  await narrowed.cli.exited;
});

test('the app shows a narrowed allowlist that refuses its LAN address as a health problem', async () => {
  const dataDir = join(fixture.workDir, 'app');
  const settingsStore = memorySettingsStore({ cachePath: join(dataDir, 'cache'), listenHost: fixture.lan.hostAddress, port: 5000, startMirrorOnLaunch: false, allowlist: ['10.0.0.0/8'] });
  const core = createAppCore({ dataDir, settingsStore, keychain: sessionKeychain(), tuning: { registryName: 'docker.io' } });
  await core.open();
  try {
    const state = await core.ready();
    const problem = state.problems.find((p) => p.code === 'allowlist-refuses-lan');
    assert.ok(problem, JSON.stringify(state.problems));
    assert.match(problem.message, new RegExp(`refuses ${fixture.lan.hostAddress.replace(/\./g, '\\.')} `));
    const widened = await core.updateSettings({ allowlist: ['10.0.0.0/8', fixture.lan.hostAddress.replace(/\.1$/, '.0/24')] });
    assert.equal(widened.problems.find((p) => p.code === 'allowlist-refuses-lan'), undefined);
  } finally {
    await core.shutdown();
  }
});

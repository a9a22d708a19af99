// Allowlist entries are parsed strictly, in the command line and in the app's settings: a
// spelling that is not exactly a network is refused with a sentence naming that entry, never
// read as something wider ("192.168.1.0/" once became /0, "fd00::/" ::/0). Generated over many
// spellings, and compared with a reference for the ones that are right.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { BlockList } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { validateSettings, defaultSettings } from '../../main/core/settings.js';
import { CidrError, parseCidr, parseCidrList } from '../../mirror/cidr.js';
import { ClientFilter } from '../../mirror/http/client-filter.js';
import { spawnCli } from '../support/cli-process.js';

let workDir: string;
before(async () => (workDir = await mkdtemp(join(tmpdir(), 'dockmirror-lan-cidr-'))));
after(async () => workDir && rm(workDir, { recursive: true, force: true }));

/** A small deterministic generator, so a failure names a spelling that can be tried again. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const goodNetworks = ['192.168.1.0/24', '10.0.0.0/8', 'fd00::/8', '172.16.0.0/12', '2001:db8::/32', '127.0.0.1', '::1'];

/** Spellings that are wrong, each made from a right one. */
function badSpellings(rand: () => number): string[] {
  const spellings = new Set<string>([
    '192.168.1.0/', 'fd00::/', '/0x0', '/1e1', ' /24', '+24', '10.0.0.0/0x0', '10.0.0.0/1e1', '10.0.0.0/ 24', '10.0.0.0 /24',
    '10.0.0.0/+24', '10.0.0.0/-1', '10.0.0.0/24.0', '10.0.0.0/024', '10.0.0.0/00', '10.0.0.0/33', '10.0.0.0/999', 'fd00::/129',
    '010.0.0.0/8', '10.00.0.0/8', '192.168.001.0/24', '256.0.0.0/8', '1.2.3/24', '1.2.3.4.5/32', '1.2.3.4/24/8', '1..2.3/24',
    '0x0a.0.0.0/8', '10.0.0.0\t', ' 10.0.0.0/8', '10.0.0.0/8 ', '', '/', '/24', 'fd00:::/8', 'fd00::1::/8', '1:2:3:4:5:6:7:8:9/64',
    'fe80::1%eth0/64', 'g::/8', '12345::/16', '::ffff:010.0.0.1/128', 'localhost', 'office', '10.0.0.0/８', '１0.0.0.0/8',
    '10.0.0.0/24,', '10.0.0.0/Infinity', '10.0.0.0/NaN', '10.0.0.0/0b1', '10.0.0.0/0o7', '10.0.0.0/2_4',
  ]);
  const mutations: ((text: string) => string)[] = [
    (t) => `${t.replace(/\/.*$/, '')}/`,
    (t) => `${t.replace(/\/.*$/, '')}/0x${Math.floor(rand() * 32).toString(16)}`,
    (t) => `${t.replace(/\/.*$/, '')}/${Math.ceil(rand() * 9)}e1`,
    (t) => `${t.replace(/\/.*$/, '')}/+${Math.floor(rand() * 32)}`,
    (t) => `${t.replace(/\/.*$/, '')}/0${Math.floor(rand() * 32)}`,
    (t) => `${t.replace(/\/.*$/, '')}/${(t.includes(':') ? 129 : 33) + Math.floor(rand() * 200)}`,
    (t) => t.replace('/', ' /'),
    (t) => t.replace('/', '/ '),
    (t) => `${t}/8`,
    (t) => t.replace(/\d+/, (d) => `0${d}`),
    (t) => (t.includes(':') ? t.replace(/^[0-9a-f]+/, (g) => `${g}0000`) : t.replace(/^(\d+)/, (d) => String(Number(d) + 256))),
  ];
  // Only networks with a prefix are mutated: on a bare address, adding "/8" is right.
  for (const good of goodNetworks.filter((n) => n.includes('/'))) for (const mutate of mutations) spellings.add(mutate(good));
  for (const good of goodNetworks) spellings.delete(good);
  return [...spellings];
}

test('every wrong spelling is refused with a sentence that names the exact entry', () => {
  const rand = random(10);
  const spellings = badSpellings(rand);
  assert.ok(spellings.length > 100, `${spellings.length} spellings`);
  for (const entry of spellings) {
    assert.throws(
      () => parseCidr(entry),
      (error: unknown) => error instanceof CidrError && error.message.startsWith(`${JSON.stringify(entry)} is not a network: `),
      `${JSON.stringify(entry)} was accepted`,
    );
    assert.throws(() => new ClientFilter([entry]), CidrError, JSON.stringify(entry));
    assert.throws(() => validateSettings({ allowlist: [entry] }, defaultSettings('/data')), { code: 'invalid-setting', message: new RegExp(`^${escape(JSON.stringify(entry))} is not a network`) }, JSON.stringify(entry));
  }
});

test('right spellings mean exactly their network, host bits or not, compared with a reference', () => {
  const rand = random(7);
  for (let i = 0; i < 2_000; i++) {
    const v6 = rand() < 0.4;
    const bytes = Array.from({ length: v6 ? 16 : 4 }, () => Math.floor(rand() * 256));
    const prefix = Math.floor(rand() * (v6 ? 129 : 33));
    const address = v6 ? ipv6Text(bytes) : bytes.join('.');
    const cidr = parseCidr(`${address}/${prefix}`);
    assert.equal(cidr.prefix, prefix);
    const reference = new BlockList();
    reference.addSubnet(address, prefix, v6 ? 'ipv6' : 'ipv4');
    const filter = new ClientFilter([`${address}/${prefix}`]);
    // The network address itself, and addresses that differ in one bit inside and outside the prefix.
    for (let probe = 0; probe < 4; probe++) {
      const flipped = [...bytes];
      const bit = Math.floor(rand() * bytes.length * 8);
      flipped[bit >> 3] ^= 0x80 >> (bit & 7);
      const text = v6 ? ipv6Text(flipped) : flipped.join('.');
      assert.equal(filter.allows(text), reference.check(text, v6 ? 'ipv6' : 'ipv4'), `${text} in ${address}/${prefix}`);
      assert.equal(filter.allows(text), bit >= prefix, `${text} in ${address}/${prefix}`);
    }
    assert.equal(parseCidr(cidr.text).text, cidr.text, 'the canonical form reads back as itself');
  }
  assert.equal(parseCidr('192.168.1.20/24').text, '192.168.1.0/24');
  assert.equal(parseCidr('FD00:0000::1/8').text, 'fd00::/8');
  assert.equal(parseCidr('::ffff:10.0.0.1').text, '::ffff:a00:1/128');
  assert.equal(parseCidr('10.0.0.7').text, '10.0.0.7/32');
  assert.deepEqual(parseCidrList('10.0.0.0/8, fd00::/8').map((c) => c.text), ['10.0.0.0/8', 'fd00::/8']);
  assert.throws(() => parseCidrList('10.0.0.0/8,,fd00::/8'), /entry 2 of the list is empty/);
});

test('the command line refuses a wrong --allow entry by name, before it serves anything', async () => {
  for (const list of ['192.168.1.0/', '10.0.0.0/8,fd00::/', '/0x0', '10.0.0.0/1e1', '010.0.0.0/8', '10.0.0.0/33', '10.0.0.0/8, +24']) {
    const wrong = list.split(',').map((e) => e.trim()).find((e) => { try { parseCidr(e); return false; } catch { return true; } })!;
    const cli = spawnCli(['serve', '--listen', '127.0.0.1:0', '--cache', join(workDir, 'cache'), '--allow', list]);
    // A mirror that took the entry would serve until killed: that is a failure too, not a hang.
    const timer = setTimeout(() => cli.kill('SIGKILL'), 10_000);
    const exit = await cli.exited;
    clearTimeout(timer);
    assert.equal(exit.code, 1, `${list}: ${exit.stdout}`);
    assert.equal(exit.stdout, '', 'nothing served');
    assert.ok(exit.stderr.startsWith(`dockmirror: ${JSON.stringify(wrong)} is not a network: `), `${list}: ${exit.stderr}`);
    assert.ok(!/\n\s+at /.test(exit.stderr), 'no stack trace');
  }
});

function ipv6Text(bytes: number[]): string {
  return Array.from({ length: 8 }, (_, i) => ((bytes[i * 2]! << 8) | bytes[i * 2 + 1]!).toString(16)).join(':');
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

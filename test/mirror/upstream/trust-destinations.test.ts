// The destination rules for upstreams that are not on loopback. Tests can only run loopback
// upstreams, so the rules for public and LAN upstreams are checked on the policy itself, and the
// name-based guard (a name that resolves to loopback) on real sockets.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { addressScope, DestinationPolicy } from '../../../mirror/upstream/destinations.js';
import { refusedAddressCode, UpstreamHttp } from '../../../mirror/upstream/http-request.js';

const own = [{ host: '0.0.0.0', port: 5000 }];

function policyFor(upstream: string, connectedTo: string): DestinationPolicy {
  const policy = new DestinationPolicy({ upstream: new URL(upstream), ownAddresses: () => own });
  policy.noteUpstreamAddress(connectedTo);
  return policy;
}

test('address scopes, IPv4 inside IPv6 included', () => {
  const cases: [string, string][] = [
    ['127.0.0.1', 'loopback'],
    ['127.9.9.9', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['10.1.2.3', 'private'],
    ['172.20.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['fd00::5', 'private'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['0.0.0.0', 'unusable'],
    ['::', 'unusable'],
    ['224.0.0.1', 'unusable'],
    ['ff02::1', 'unusable'],
    ['104.18.1.1', 'public'],
    ['2600:1f18::1', 'public'],
  ];
  assert.deepEqual(cases.map(([address]) => [address, addressScope(address)]), cases);
});

test('a public upstream may send the mirror only to public https addresses, or to its own origin', () => {
  const hub = policyFor('https://registry-1.docker.io', '44.205.64.79');
  assert.equal(hub.refusal(new URL('https://production.cloudflare.docker.com/blob'), 'blob'), null);
  assert.equal(hub.refusal(new URL('https://registry-1.docker.io/v2/x'), 'manifest'), null);
  assert.match(hub.refusal(new URL('http://cdn.example/blob'), 'blob') ?? '', /plain http on another origin/);
  assert.match(hub.refusal(new URL('ftp://cdn.example/blob'), 'blob') ?? '', /not http or https/);
  assert.match(hub.refusal(new URL('https://127.0.0.1:5000/metrics'), 'manifest') ?? '', /the mirror itself/);
  for (const address of ['127.0.0.1', '169.254.169.254', '192.168.1.1', 'fd00::1', '::ffff:10.0.0.1', '0.0.0.0']) {
    assert.notEqual(hub.addressRefusal(address, 443), null, address);
  }
  assert.equal(hub.addressRefusal('104.18.1.1', 443), null);
  assert.ok(hub.mayReceiveCredentials(new URL('https://auth.docker.io/token'), false));
  assert.ok(!hub.mayReceiveCredentials(new URL('https://auth.docker.io/token'), true), 'a realm reached by a redirect');
  assert.ok(!hub.mayReceiveCredentials(new URL('http://auth.docker.io/token'), false), 'plain http to another origin');
});

test('a LAN upstream may reach the LAN but not link-local or loopback; a loopback one anything but the mirror', () => {
  const lan = policyFor('http://registry.lan:5000', '192.168.1.30');
  assert.equal(lan.addressRefusal('192.168.1.31', 9000), null);
  assert.match(lan.addressRefusal('169.254.169.254', 80) ?? '', /link-local address and the upstream is not/);
  assert.match(lan.addressRefusal('127.0.0.1', 9000) ?? '', /loopback address/);
  assert.ok(lan.mayReceiveCredentials(new URL('http://registry.lan:5000/token'), false), 'its own origin');
  assert.ok(!lan.mayReceiveCredentials(new URL('http://registry.lan:5001/token'), false), 'another port is another origin');

  const local = policyFor('http://127.0.0.1:6000', '127.0.0.1');
  assert.equal(local.addressRefusal('127.0.0.1', 6001), null);
  assert.match(local.addressRefusal('127.0.0.1', 5000) ?? '', /the mirror itself/);
  assert.match(local.addressRefusal('::1', 5000) ?? '', /the mirror itself/);
  assert.equal(local.refusal(new URL('http://127.0.0.1:6001/cdn'), 'blob'), null, 'blobs are digest-checked');
  assert.match(local.refusal(new URL('http://127.0.0.1:6001/cdn'), 'manifest') ?? '', /plain http on another origin/);
});

test('a name the upstream chose that resolves to a refused address is never connected to', async (t) => {
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as { port: number }).port;
  const http = new UpstreamHttp({ connectMs: 2_000, idleMs: 2_000 });
  t.after(() => http.close());
  const hub = policyFor('https://registry-1.docker.io', '44.205.64.79');
  const refuseAddress = (address: string): string | null => hub.addressRefusal(address, port);
  for (const url of [`http://localhost:${port}/metrics`, `http://127.0.0.1:${port}/metrics`, `http://[::ffff:127.0.0.1]:${port}/metrics`]) {
    await assert.rejects(http.request(new URL(url), 'GET', {}, { refuseAddress }), { code: refusedAddressCode }, url);
  }
  assert.equal(connections, 0);
});

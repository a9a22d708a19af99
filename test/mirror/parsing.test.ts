// The grammars and header parsers every request passes through before it reaches the store.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDuration, parseSize } from '../../main/cli/cli-options.js';
import { parseListen } from '../../main/cli/listen-address.js';
import { RegistryError } from '../../mirror/errors.js';
import { ClientFilter } from '../../mirror/http/client-filter.js';
import { parseRange } from '../../mirror/blobs/byte-range.js';
import { parseRequest } from '../../mirror/http/route.js';
import { parseDigest, parseRepository, parseTag } from '../../mirror/reference.js';
import { parseChallenge } from '../../mirror/upstream/challenge.js';
import { readRateLimit } from '../../mirror/upstream/rate-limit.js';

const digest = `sha256:${'ab'.repeat(32)}`;

function errorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof RegistryError, `expected a RegistryError, got ${String(error)}`);
    return error.code;
  }
  assert.fail('expected an error');
}

describe('names, tags and digests', () => {
  test('one-component names are official images under library/', () => {
    assert.equal(parseRepository('alpine'), 'library/alpine');
    assert.equal(parseRepository('bitnami/redis'), 'bitnami/redis');
    assert.equal(parseRepository('a/b-c/d__e.f'), 'a/b-c/d__e.f');
  });

  test('names outside the OCI grammar are NAME_INVALID', () => {
    for (const bad of ['', 'UPPER', '../etc', 'a//b', '-a', 'a/', 'a/.', 'a..b', 'x'.repeat(256), 'a\\b']) {
      assert.equal(errorCode(() => parseRepository(bad)), 'NAME_INVALID', bad);
    }
  });

  test('digests must be sha256 with 64 lowercase hex digits', () => {
    assert.equal(parseDigest(digest), digest);
    assert.equal(errorCode(() => parseDigest(`sha256:${'AB'.repeat(32)}`)), 'DIGEST_INVALID');
    assert.equal(errorCode(() => parseDigest(`sha256:${'ab'.repeat(31)}`)), 'DIGEST_INVALID');
    assert.equal(errorCode(() => parseDigest(`sha512:${'ab'.repeat(64)}`)), 'DIGEST_INVALID');
    assert.throws(() => parseDigest(`sha512:${'ab'.repeat(64)}`), /only sha256 is supported/);
  });

  test('tags follow the distribution grammar', () => {
    assert.equal(parseTag('1.25-alpine_x'), '1.25-alpine_x');
    for (const bad of ['.hidden', '..', '-x', 'a'.repeat(129), 'a b']) assert.equal(errorCode(() => parseTag(bad)), 'TAG_INVALID', bad);
  });
});

describe('request routing', () => {
  test('registry paths become routes', () => {
    assert.deepEqual(parseRequest('GET', '/v2/').route, { kind: 'base' });
    assert.deepEqual(parseRequest('HEAD', '/v2/nginx/manifests/latest').route, {
      kind: 'manifest',
      repository: 'library/nginx',
      reference: { kind: 'tag', value: 'latest' },
    });
    assert.deepEqual(parseRequest('GET', `/v2/a/b/blobs/${digest}`).route, { kind: 'blob', repository: 'a/b', digest });
    assert.deepEqual(parseRequest('GET', '/v2/a/tags/list?n=2').route, { kind: 'tags', repository: 'library/a' });
    assert.equal(parseRequest('GET', '/v2/a/tags/list?n=2&last=x').query.get('last'), 'x');
  });

  test('path traversal in every spelling is refused before any name is used', () => {
    const attempts = [
      '/v2/../../etc/passwd/manifests/latest',
      '/v2/%2e%2e/%2e%2e/etc/manifests/latest',
      '/v2/a%2fb/manifests/latest',
      '/v2/a\\..\\b/manifests/latest',
      '/v2/a/./b/manifests/latest',
      `/v2/a/blobs/..%2f${digest}`,
      '/v2/a/manifests/..',
    ];
    for (const path of attempts) {
      const code = errorCode(() => parseRequest('GET', path));
      assert.ok(['NAME_INVALID', 'TAG_INVALID', 'DIGEST_INVALID'].includes(code), `${path} → ${code}`);
    }
    assert.equal(errorCode(() => parseRequest('GET', `/v2/${'a/'.repeat(1100)}manifests/x`)), 'NAME_INVALID');
  });

  test('writes are UNSUPPORTED (405), unknown paths NOT_FOUND', () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND']) {
      assert.equal(errorCode(() => parseRequest(method, '/v2/a/manifests/latest')), 'UNSUPPORTED', method);
    }
    assert.equal(errorCode(() => parseRequest('GET', '/v2/a/blobs/uploads/123')), 'UNSUPPORTED');
    assert.equal(errorCode(() => parseRequest('GET', '/admin')), 'NOT_FOUND');
  });
});

describe('Range headers', () => {
  test('single ranges, open ranges and suffix ranges', () => {
    assert.equal(parseRange(undefined, 100), null);
    assert.deepEqual(parseRange('bytes=0-9', 100), { start: 0, end: 9 });
    assert.deepEqual(parseRange('bytes=90-', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=-10', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=50-500', 100), { start: 50, end: 99 });
  });

  test('unsatisfiable, malformed and multiple ranges are 416 with Content-Range', () => {
    for (const header of ['bytes=100-', 'bytes=5-1', 'bytes=0-1,5-6', 'items=0-1', 'bytes=-', 'bytes=-0', ['bytes=0-1', 'bytes=2-3']]) {
      try {
        parseRange(header, 100);
        assert.fail(`accepted ${String(header)}`);
      } catch (error) {
        assert.ok(error instanceof RegistryError);
        assert.equal(error.status, 416);
        assert.equal(error.headers['content-range'], 'bytes */100');
      }
    }
  });
});

describe('option values', () => {
  test('sizes, durations and listen addresses', () => {
    assert.equal(parseSize('50GB'), 50e9);
    assert.equal(parseSize('512MiB'), 512 * 1024 * 1024);
    assert.equal(parseSize('1000'), 1000);
    assert.throws(() => parseSize('lots'), /not a size/);
    assert.equal(parseDuration('60s'), 60_000);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('30'), 30_000);
    assert.throws(() => parseDuration('soon'), /not a duration/);
    assert.deepEqual(parseListen('0.0.0.0:5000'), { host: '0.0.0.0', port: 5000 });
    assert.deepEqual(parseListen('[::]:5000'), { host: '::', port: 5000 });
    assert.deepEqual(parseListen(':5000'), { host: '0.0.0.0', port: 5000 });
    assert.deepEqual(parseListen('5001'), { host: '0.0.0.0', port: 5001 });
    assert.throws(() => parseListen('host:99999'), /not a listen address/);
  });
});

describe('LAN allowlist', () => {
  test('the default serves loopback and private networks only', () => {
    const filter = new ClientFilter();
    for (const address of ['127.0.0.1', '10.1.2.3', '172.20.0.5', '192.168.1.20', '::1', 'fd12::1', 'fe80::1', '::ffff:192.168.1.2']) {
      assert.ok(filter.allows(address), address);
    }
    for (const address of ['8.8.8.8', '172.32.0.1', '2001:db8::1', '::ffff:8.8.8.8', undefined]) {
      assert.ok(!filter.allows(address), String(address));
    }
  });

  test('a custom allowlist replaces the default; bad entries are a plain sentence', () => {
    const filter = new ClientFilter(['192.168.7.0/24']);
    assert.ok(filter.allows('192.168.7.9'));
    assert.ok(!filter.allows('127.0.0.1'));
    assert.throws(() => new ClientFilter(['192.168.7.0/33']), /"192.168.7.0\/33" is not a network/);
    assert.throws(() => new ClientFilter(['office']), /"office" is not a network/);
  });
});

describe('upstream headers', () => {
  test('Bearer and Basic challenges', () => {
    assert.deepEqual(
      parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"'),
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/alpine:pull' } },
    );
    assert.deepEqual(parseChallenge('Basic realm="Registry Realm"'), { scheme: 'basic', params: { realm: 'Registry Realm' } });
    assert.equal(parseChallenge('Negotiate abc'), null);
    assert.equal(parseChallenge(undefined), null);
  });

  test('Docker Hub rate-limit headers', () => {
    const state = readRateLimit(
      { 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '76;w=21600', 'docker-ratelimit-source': '203.0.113.7' },
      new Date('2026-01-01T00:00:00Z'),
    );
    assert.deepEqual(state, { limit: 100, remaining: 76, windowSeconds: 21600, source: '203.0.113.7', observedAt: '2026-01-01T00:00:00.000Z' });
    assert.equal(readRateLimit({}, new Date()), null);
  });
});

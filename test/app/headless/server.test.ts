// The headless host over real HTTP: the token guard, the Host check, argument validation, the
// event stream and the static files. The core is a small in-test fake (the real one is exercised
// in test/ui/e2e.test.ts); it records calls so the tests see what reached it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHeadless } from '../../../main/headless/server.js';
import { parseUiAddress } from '../../../main/cli/listen-address.js';
import { FakeApi } from '../../support/fake-api.js';

async function setup(t: import('node:test').TestContext) {
  const dir = await mkdtemp(join(tmpdir(), 'dmx-headless-'));
  const rendererDir = join(dir, 'renderer');
  await mkdir(rendererDir);
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>ui</title>');
  await writeFile(join(dir, 'secret.txt'), 'outside');
  const api = new FakeApi(join(dir, 'cache'));
  const server = await startHeadless(api, { host: '127.0.0.1', port: 0, rendererDir });
  t.after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
  const origin = new URL(server.url).origin;
  return { api, server, origin, dir };
}

function call(origin: string, token: string | null, method: string, args: unknown[], contentType = 'application/json') {
  const headers: Record<string, string> = { 'Content-Type': contentType };
  if (token !== null) headers['X-Dockmirror-Token'] = token;
  return fetch(`${origin}/api/call/${method}`, { method: 'POST', headers, body: JSON.stringify(args) });
}

/** A raw GET, so the Host header can be anything (fetch will not let us set it). */
function rawGet(origin: string, path: string, host: string): Promise<number> {
  const url = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, headers: { Host: host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

test('the printed URL carries a random token on loopback', async (t) => {
  const { server } = await setup(t);
  const url = new URL(server.url);
  assert.equal(url.hostname, '127.0.0.1');
  assert.equal(url.searchParams.get('token'), server.token);
  assert.ok(server.token.length >= 32);
  const other = await startHeadless(new FakeApi('/nonexistent'), { host: '127.0.0.1', port: 0, rendererDir: '/nonexistent' });
  t.after(() => other.close());
  assert.notEqual(other.token, server.token);
});

test('nothing is served without the token', async (t) => {
  const { origin, server } = await setup(t);
  assert.equal((await fetch(`${origin}/`)).status, 401);
  assert.equal((await fetch(`${origin}/?token=wrong`)).status, 401);
  assert.equal((await fetch(`${origin}/api/events`)).status, 401);
  assert.equal((await fetch(`${origin}/api/session`)).status, 401);
  const page = await fetch(`${origin}/?token=${server.token}`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<title>ui<\/title>/);
  assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
  const cookie = page.headers.get('set-cookie') ?? '';
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  // The cookie opens the page's files and the session, never the calls.
  const pair = cookie.split(';')[0]!;
  assert.equal((await fetch(`${origin}/index.html`, { headers: { Cookie: pair } })).status, 200);
  assert.deepEqual(await (await fetch(`${origin}/api/session`, { headers: { Cookie: pair } })).json(), { token: server.token });
  const viaCookie = await fetch(`${origin}/api/call/getState`, { method: 'POST', headers: { Cookie: pair, 'Content-Type': 'application/json' }, body: '[]' });
  assert.equal(viaCookie.status, 401);
});

test('calls need the token header, JSON and a known method', async (t) => {
  const { origin, server, api } = await setup(t);
  assert.equal((await call(origin, null, 'startMirror', [])).status, 401);
  assert.equal((await call(origin, 'nope', 'startMirror', [])).status, 401);
  assert.equal(api.calls.length, 0);
  assert.equal((await call(origin, server.token, 'startMirror', [], 'text/plain')).status, 415);
  assert.equal((await call(origin, server.token, 'constructor', [])).status, 404);
  assert.equal((await call(origin, server.token, '__proto__', [])).status, 404);
  assert.equal((await fetch(`${origin}/api/call/getState`, { headers: { 'X-Dockmirror-Token': server.token } })).status, 405);
  const started = await call(origin, server.token, 'startMirror', []);
  assert.equal(started.status, 200);
  const body = (await started.json()) as { result: { mirror: { serving: boolean } } };
  assert.equal(body.result.mirror.serving, true);
  assert.deepEqual(api.calls, ['startMirror']);
});

test('arguments are checked before they reach the core', async (t) => {
  const { origin, server, api } = await setup(t);
  const cases: [string, unknown[]][] = [
    ['changeCachePath', ['/tmp', 'sideways']],
    ['changeCachePath', [42, 'move']],
    ['updateSettings', ['port=80']],
    ['updateSettings', [{ isAdmin: true }]],
    ['deleteCachedImage', ['docker.io', 7]],
    ['saveCredentials', ['alice']],
  ];
  for (const [method, args] of cases) {
    const response = await call(origin, server.token, method, args);
    assert.equal(response.status, 400, method);
    const body = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'bad-request');
    assert.match(body.error.message, /^[A-Z].*\.$/);
  }
  const proto = await fetch(`${origin}/api/call/updateSettings`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Dockmirror-Token': server.token },
    body: '[{"port":5000,"__proto__":{"polluted":true}}]',
  });
  assert.equal(proto.status, 400);
  assert.match(((await proto.json()) as { error: { message: string } }).error.message, /no setting called "__proto__"/);
  const notList = await fetch(`${origin}/api/call/getState`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Dockmirror-Token': server.token },
    body: '{"a":1}',
  });
  assert.equal(notList.status, 400);
  assert.deepEqual(api.calls, []);
});

test('errors from the core come back as their sentence and code', async (t) => {
  const { origin, server } = await setup(t);
  const response = await call(origin, server.token, 'updateSettings', [{ port: 70000 }]);
  assert.equal(response.status, 422);
  assert.deepEqual(await response.json(), { error: { code: 'invalid-setting', message: 'The port must be a number from 1 to 65535.' } });
});

test('the browser host has no native picker: pickFolder answers null', async (t) => {
  const { origin, server, api } = await setup(t);
  const response = await call(origin, server.token, 'pickFolder', []);
  assert.deepEqual(await response.json(), { result: null });
  assert.deepEqual(api.calls, []);
});

test('a rebinding Host name is refused, loopback names are served', async (t) => {
  const { origin, server } = await setup(t);
  const path = `/?token=${server.token}`;
  assert.equal(await rawGet(origin, path, `evil.example:${new URL(origin).port}`), 421);
  assert.equal(await rawGet(origin, path, `localhost:${new URL(origin).port}`), 200);
  assert.equal(await rawGet(origin, path, `127.0.0.1:${new URL(origin).port}`), 200);
});

test('files outside the renderer folder stay out of reach', async (t) => {
  const { origin, server } = await setup(t);
  for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/%00index.html', '/missing.js', '/index']) {
    const response = await fetch(`${origin}${path}${path.includes('?') ? '&' : '?'}token=${server.token}`);
    assert.equal(response.status, 404, path);
    assert.doesNotMatch(await response.text(), /outside/);
  }
});

test('events and state changes stream to every open tab, and close() ends the streams', async (t) => {
  const { origin, server, api } = await setup(t);
  const open = async () => {
    const controller = new AbortController();
    const response = await fetch(`${origin}/api/events?token=${server.token}`, { signal: controller.signal });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
    return { reader: response.body!.getReader(), controller };
  };
  const tabs = [await open(), await open()];
  api.emit({ type: 'request', id: 'r1', time: new Date().toISOString(), client: '10.0.0.21', method: 'GET', kind: 'manifest', repository: 'library/nginx', reference: 'latest', status: 200, bytes: 1234, durationMs: 3, cache: 'miss' });
  await call(origin, server.token, 'startMirror', []);
  for (const { reader } of tabs) {
    let text = '';
    const decoder = new TextDecoder();
    while (!(text.includes('event: mirror') && text.includes('event: state'))) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    const mirror = /event: mirror\ndata: (.*)\n/.exec(text);
    assert.ok(mirror, text);
    assert.equal((JSON.parse(mirror[1]!) as { id: string }).id, 'r1');
    assert.match(text, /event: state\ndata: \{"settings"/);
  }
  await server.close();
  for (const { reader } of tabs) {
    let done = false;
    while (!done) done = (await reader.read()).done;
    assert.equal(done, true);
  }
  assert.equal(api.listenerCount(), 0);
});

test('a taken window port is reported in a plain sentence', async (t) => {
  const { origin } = await setup(t);
  const port = Number(new URL(origin).port);
  await assert.rejects(startHeadless(new FakeApi('/nonexistent'), { host: '127.0.0.1', port }), {
    message: `The window address 127.0.0.1:${port} is already in use; choose another with --ui HOST:PORT.`,
  });
});

test('--ui values: host and port, bracketed IPv6, port only, loopback by default', () => {
  assert.deepEqual(parseUiAddress(undefined), { host: '127.0.0.1', port: 5001 });
  assert.deepEqual(parseUiAddress('127.0.0.1:5001'), { host: '127.0.0.1', port: 5001 });
  assert.deepEqual(parseUiAddress('localhost:6001'), { host: '127.0.0.1', port: 6001 });
  assert.deepEqual(parseUiAddress('[::1]:5002'), { host: '::1', port: 5002 });
  assert.deepEqual(parseUiAddress('5003'), { host: '127.0.0.1', port: 5003 });
  assert.deepEqual(parseUiAddress('0.0.0.0:5001'), { host: '0.0.0.0', port: 5001 });
  for (const bad of ['127.0.0.1:', 'host:port', '127.0.0.1:70000', '::1:5001', 'a b:1']) {
    assert.throws(() => parseUiAddress(bad), /is not a window address/, bad);
  }
});

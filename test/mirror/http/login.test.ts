// Client login and the catalog against a real mirror process: a burst of wrong passwords from one
// address is locked out (429, Retry-After, OCI JSON) while another address still logs in, the
// log names the address and never the password, the per-address memory stays bounded; and
// /v2/_catalog names the owner's private repositories only to clients that may pull them.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Agent, request } from 'undici';
import { LoginThrottle } from '../../../mirror/http/login-throttle.js';
import { RegistryError } from '../../../mirror/errors.js';
import { startEngineProcess, type EngineProcess } from '../../support/cli-process.js';
import { DEFAULT_HUB_USER } from '../../support/hub.js';
import { startTestUpstream, type TestUpstream } from '../../support/upstream.js';

const login = { username: 'lan', password: 'correct horse battery staple' };
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

let upstream: TestUpstream;
let workDir: string;
const engines: EngineProcess[] = [];

before(async () => {
  upstream = await startTestUpstream();
  workDir = await mkdtemp(join(tmpdir(), 'dockmirror-lan-login-'));
});

after(async () => {
  for (const engine of engines) engine.kill('SIGKILL');
  await upstream?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

async function startEngine(options: Record<string, unknown>): Promise<EngineProcess> {
  const engine = await startEngineProcess({ cacheDir: join(workDir, 'cache'), upstream: upstream.url, registryName: 'docker.io', minFreeBytes: 0, ...options });
  engines.push(engine);
  return engine;
}

async function stopEngine(engine: EngineProcess): Promise<void> {
  engine.kill('SIGTERM');
  await engine.exited;
}

async function get(engine: EngineProcess, path: string, from: string, authorization?: string) {
  const agent = new Agent({ localAddress: from });
  try {
    const response = await request(`${engine.base}${path}`, { dispatcher: agent, headers: authorization ? { authorization } : {} });
    const text = await response.body.text();
    return { status: response.statusCode, headers: response.headers, text };
  } finally {
    await agent.close();
  }
}

test('a burst of wrong passwords from one address is refused with 429; another address still logs in; the log has no password', async () => {
  const engine = await startEngine({ clientAuth: login });
  const statuses: number[] = [];
  let refusal: Awaited<ReturnType<typeof get>> | undefined;
  for (let i = 0; i < 60; i++) {
    const answer = await get(engine, '/v2/', '127.0.0.2', basic(login.username, `guess-${i}`));
    statuses.push(answer.status);
    if (answer.status === 429) refusal ??= answer;
  }
  const tried = statuses.filter((s) => s === 401).length;
  assert.ok(tried <= 7, `at most the free failures and one more reached the password check, not ${tried}: ${statuses.join(',')}`);
  assert.equal(statuses.filter((s) => s === 429).length + tried, 60, statuses.join(','));
  assert.ok(refusal, 'the burst was refused');
  assert.match(String(refusal.headers['retry-after']), /^[1-9]\d*$/);
  const body = JSON.parse(refusal.text) as { errors: { code: string; message: string }[] };
  assert.equal(body.errors[0]!.code, 'TOOMANYREQUESTS');
  assert.match(body.errors[0]!.message, /too many failed logins from 127\.0\.0\.2/);

  // While locked out, even the right password from that address waits: it is what a guesser would send.
  assert.equal((await get(engine, '/v2/', '127.0.0.2', basic(login.username, login.password))).status, 429);
  // Another address is not held by the first one's failures.
  assert.equal((await get(engine, '/v2/', '127.0.0.3', basic(login.username, login.password))).status, 200);
  assert.equal((await get(engine, '/v2/', '127.0.0.3')).status, 401, 'a request without credentials is asked to log in, not counted');

  await stopEngine(engine);
  const log = engine.stderr();
  assert.match(log, /"client":"127\.0\.0\.2"[^\n]*"errorCode":"LOGIN_THROTTLED"/, 'the lockout is logged with the address');
  assert.ok(!log.includes('guess-'), 'no guessed password in the log');
  assert.ok(!log.includes(login.password), 'no password in the log');
  assert.ok(!/Docker Hub's pull rate limit/.test(log), 'a lockout is not reported as the upstream rate limit');
});

test('the per-address memory of failures is bounded, and a success clears an address', () => {
  let now = 0;
  const throttle = new LoginThrottle({ maxTracked: 100 }, () => now);
  const wrong = () => {
    throw new RegistryError('UNAUTHORIZED');
  };
  for (let i = 0; i < 5_000; i++) {
    now++;
    assert.throws(() => throttle.check(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, true, wrong), { code: 'UNAUTHORIZED' });
  }
  assert.equal(throttle.tracked, 100);
  // IPv6 clients count by /64: rotating the interface identifier does not reset the count.
  for (let i = 0; i < 6; i++) assert.throws(() => throttle.check(`fd00:1:2:3::${i + 1}`, true, wrong), { code: 'UNAUTHORIZED' });
  assert.throws(() => throttle.check('fd00:1:2:3:ffff::9', true, () => {}), { code: 'TOOMANYREQUESTS' });
  now += 60 * 60_000;
  throttle.check('fd00:1:2:3::1', true, () => {});
  throttle.check('fd00:1:2:3::1', true, () => {});
});

test('/v2/_catalog does not name private repositories to anonymous clients', async () => {
  const upstreamCredentials = { username: DEFAULT_HUB_USER.username, secret: DEFAULT_HUB_USER.password };
  const privateRepo = upstream.images.privateImage.repository;
  const { alpine } = upstream.images;
  // A mirror with client login caches the owner's private image for a client that logged in.
  const owner = await startEngine({ clientAuth: login, upstreamCredentials });
  const auth = basic(login.username, login.password);
  assert.equal((await get(owner, `/v2/${privateRepo}/manifests/1`, '127.0.0.1', auth)).status, 200);
  assert.equal((await get(owner, `/v2/${alpine.repository}/manifests/${alpine.tag}`, '127.0.0.1', auth)).status, 200);
  const listed = JSON.parse((await get(owner, '/v2/_catalog', '127.0.0.1', auth)).text) as { repositories: string[] };
  assert.ok(listed.repositories.includes(privateRepo), 'a client that logged in sees what it may pull');
  await stopEngine(owner);

  // The same cache without client login: anonymous clients may not pull it, so may not see it.
  const open = await startEngine({ upstreamCredentials });
  assert.equal((await get(open, `/v2/${privateRepo}/manifests/1`, '127.0.0.1')).status, 403);
  const catalog = JSON.parse((await get(open, '/v2/_catalog', '127.0.0.1')).text) as { repositories: string[] };
  assert.ok(!catalog.repositories.includes(privateRepo), `the private repository is not listed: ${catalog.repositories.join(', ')}`);
  assert.ok(catalog.repositories.includes(alpine.repository), 'public repositories are still listed');
  await stopEngine(open);
});

// Docker Hub credentials must never leave the token realm: not in a log line, not in a cache
// file, not in any answer to a client, and never to the CDN. The real CLI runs with credentials
// and trace logging; HTTP pulls and skopeo go through a proxy that keeps every answer; then
// everything is searched for the password and for every token the stand-in issued.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startCapturingProxy, type CapturingProxy } from '../support/capturing-proxy.js';
import { startServeCli, type ServingCli } from '../support/cli-process.js';
import { copiedImageProblems, readCopiedImage, skopeoCopy } from '../support/clients/index.js';
import { DEFAULT_HUB_USER } from '../support/hub.js';
import { allFiles } from '../support/store-files.js';
import { startTestUpstream, type TestUpstream } from '../support/upstream.js';

let upstream: TestUpstream;
let workDir: string;
let cli: ServingCli | undefined;
let proxy: CapturingProxy | undefined;

before(async () => {
  upstream = await startTestUpstream();
  workDir = await mkdtemp(join(tmpdir(), 'dockmirror-secrets-'));
});

after(async () => {
  cli?.kill('SIGKILL');
  await proxy?.close();
  await upstream?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** Every spelling of a secret that could leak: as is, inside a Basic header, a token's signature alone. */
function secretSpellings(): Map<string, string> {
  const { username, password } = DEFAULT_HUB_USER;
  const needles = new Map<string, string>([
    [password, 'the password'],
    [Buffer.from(`${username}:${password}`).toString('base64'), 'the Basic credentials'],
  ]);
  for (const token of upstream.hub.issuedTokens()) {
    needles.set(token, 'an issued token');
    needles.set(token.split('.')[2]!, "an issued token's signature");
  }
  return needles;
}

function leaks(where: string, haystack: Buffer, needles: Map<string, string>): string[] {
  return [...needles].filter(([needle]) => haystack.includes(needle)).map(([, what]) => `${what} in ${where}`);
}

test('with credentials configured: no secret in logs, cache files or answers; credentials only to the realm, never to the CDN', async () => {
  const cacheDir = join(workDir, 'cache');
  cli = await startServeCli(['--cache', cacheDir, '--upstream', upstream.url, '--log-level', 'trace', '--username', DEFAULT_HUB_USER.username, '--password-stdin'], {
    stdin: `${DEFAULT_HUB_USER.password}\n`,
  });
  assert.match(cli.stdout(), new RegExp(`Pulls are authenticated as ${DEFAULT_HUB_USER.username}\\.`));
  proxy = await startCapturingProxy(cli.base);
  const { alpine, multi, sharedA } = upstream.images;

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${proxy!.url}${path}`, { headers });
    await response.arrayBuffer();
    return response.status;
  };
  for (const image of [alpine, sharedA]) {
    assert.equal(await get(`/v2/${image.repository}/manifests/${image.tag}`, { accept: image.mediaType }), 200);
    for (const blob of [image.config, ...image.layers]) assert.equal(await get(`/v2/${image.repository}/blobs/${blob.digest}`), 200);
  }
  assert.equal(await get(`/v2/${multi.repository}/manifests/${multi.tag}`), 200);
  // Answers that carry upstream errors, where a careless message could quote a header.
  assert.equal(await get('/v2/dockmirror/private-test/manifests/1'), 403);
  assert.equal(await get(`/v2/${alpine.repository}/manifests/no-such-tag`), 404);
  upstream.hub.injectManifestFault(upstream.images.sharedB.repository, { kind: 'status', status: 500 });
  assert.equal(await get(`/v2/${upstream.images.sharedB.repository}/manifests/1`), 503);
  upstream.hub.clearFaults();
  for (const path of ['/v2/', '/v2/_catalog', '/metrics', '/healthz', `/v2/${alpine.repository}/tags/list`]) assert.equal(await get(path), 200, path);

  const destination = join(workDir, 'skopeo');
  const copy = await skopeoCopy(`docker://${proxy.address}/${multi.repository}:${multi.tag}`, destination, { layout: 'dir' });
  assert.ok(copy.ok, copy.output);
  const child = multi.manifests.find((m) => m.platform.architecture === (process.arch === 'arm64' ? 'arm64' : 'amd64'))!;
  assert.deepEqual(copiedImageProblems(await readCopiedImage(destination, 'dir'), child, 'dir'), []);

  cli.kill('SIGTERM');
  const exit = await cli.exited;
  assert.equal(exit.code, 0, exit.stderr);

  const needles = secretSpellings();
  assert.ok(upstream.hub.issuedTokens().length >= 3, 'the realm issued tokens to look for');
  const logLines = `${exit.stdout}${exit.stderr}`.split('\n').filter((line) => line.startsWith('{'));
  assert.ok(logLines.length > 20, `trace logging produced ${logLines.length} lines to search`);
  assert.ok(logLines.some((line) => line.includes(alpine.repository)), 'the log has the pulls in it');
  assert.deepEqual(leaks('a planted line', Buffer.from(`{"msg":"Bearer ${upstream.hub.issuedTokens()[0]}"}`), needles).length, 2, 'the search finds a token where there is one');
  const found: string[] = [];
  found.push(...leaks('the CLI output and log', Buffer.from(exit.stdout + exit.stderr), needles));
  const cacheFiles = await allFiles(cacheDir);
  assert.ok(cacheFiles.length > 10, `${cacheFiles.length} cache files to search`);
  for (const file of cacheFiles) found.push(...leaks(file, await readFile(file), needles));
  for (const file of await allFiles(destination)) found.push(...leaks(file, await readFile(file), needles));
  assert.ok(proxy.exchanges.length > 20, `${proxy.exchanges.length} answers captured`);
  for (const exchange of proxy.exchanges) {
    const answer = Buffer.concat([Buffer.from(JSON.stringify(exchange.headers)), exchange.body]);
    found.push(...leaks(`the answer to ${exchange.method} ${exchange.url}`, answer, needles));
  }
  found.push(...leaks('skopeo output', Buffer.from(copy.output), needles));
  assert.deepEqual(found, []);

  const seen = upstream.hub.stats().requests;
  assert.ok(seen.some((r) => r.server === 'cdn'), 'blobs came through the CDN');
  assert.deepEqual(seen.filter((r) => r.server === 'cdn' && r.authorization !== 'none'), [], 'the CDN never got an Authorization header');
  assert.deepEqual(seen.filter((r) => r.authorization === 'basic' && r.server !== 'auth'), [], 'the credentials went only to the token realm');
  assert.deepEqual(seen.filter((r) => r.authorization === 'bearer' && r.server !== 'registry'), [], 'tokens went only to the registry');
  assert.ok(upstream.hub.stats().tokenRequests.some((r) => r.username === DEFAULT_HUB_USER.username && r.status === 200), 'the mirror did use the credentials');
});

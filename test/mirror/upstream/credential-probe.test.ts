// "Test credentials" against a registry other than Docker Hub: no one repository is sure to exist
// there (ghcr.io has no library/alpine), so the account is checked as `docker login` checks it,
// with a token of no repository scope and /v2/, against real stand-ins. A registry that never
// asks for a login says so instead of claiming it accepted the account.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Credentials } from '../../../main/core/credentials.js';
import { sessionKeychain } from '../../../main/core/memory-stores.js';
import { testUpstreamCredentials } from '../../../mirror/index.js';
import { DEFAULT_HUB_USER } from '../../support/hub.js';
import { startRegistry, type RunningRegistry } from '../../support/registry.js';
import { startSecondUpstream, type SecondUpstream } from '../../support/second-upstream.js';

const good = { username: DEFAULT_HUB_USER.username, secret: DEFAULT_HUB_USER.password };
let ghcr: SecondUpstream;
let open: RunningRegistry;

before(async () => {
  ghcr = await startSecondUpstream();
  open = await startRegistry();
});

after(async () => {
  await ghcr?.close();
  await open?.stop();
});

test('another registry is asked for an unscoped token and /v2/, never for a repository it may not have', async () => {
  ghcr.hub.resetStats();
  const probe = await testUpstreamCredentials(ghcr.url, good);
  assert.equal(probe.loginAsked, true);
  const { tokenRequests, requests } = ghcr.hub.stats();
  assert.deepEqual(
    tokenRequests.map(({ username, scopes, status }) => ({ username, scopes, status })),
    [{ username: good.username, scopes: [], status: 200 }],
  );
  const registryPaths = requests.filter((request) => request.server === 'registry').map((request) => `${request.method} ${request.url}`);
  assert.deepEqual([...new Set(registryPaths)], ['HEAD /v2/'], 'only /v2/ was asked, first without and then with the token');
  await assert.rejects(testUpstreamCredentials(ghcr.url, { ...good, secret: 'wrong' }), /rejected the credentials of dockmirror-tester/);
});

test('the app says another registry accepted the account, and that an open one never asked for it', async () => {
  const credentials = new Credentials(sessionKeychain(), testUpstreamCredentials);
  await credentials.save(good.username, good.secret, 'ghcr.io');
  await credentials.save(good.username, good.secret, 'registry.example');
  assert.deepEqual(await credentials.test(ghcr.url, 'ghcr.io'), { ok: true, message: `Signed in as ${good.username}: ghcr.io accepted the account.` });
  assert.deepEqual(await credentials.test(open.url, 'registry.example'), {
    ok: true,
    message: 'registry.example did not ask for a login, so the account was not tried: pulls work without one.',
  });
  await credentials.save(good.username, 'wrong-secret', 'ghcr.io');
  const refused = await credentials.test(ghcr.url, 'ghcr.io');
  assert.equal(refused.ok, false);
  assert.match(refused.message, /Signing in as dockmirror-tester failed: .*rejected the credentials/);
});

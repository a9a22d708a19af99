// What "test credentials" says when the registry states no pull limit: Docker Hub's silence means
// an account without one, any other registry's says only that it accepted the account.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Credentials } from '../../main/core/credentials.js';
import { sessionKeychain } from '../../main/core/memory-stores.js';

test('a registry that states no limit: Docker Hub reports none, another registry only accepted the account', async () => {
  const credentials = new Credentials(sessionKeychain(), async () => ({ rateLimit: null, loginAsked: true }));
  await credentials.save('alice', 'a-token', 'ghcr.io');
  await credentials.save('bob', 'b-token', 'docker.io');
  assert.deepEqual(await credentials.test('https://ghcr.io', 'ghcr.io'), { ok: true, message: 'Signed in as alice: ghcr.io accepted the account.' });
  assert.deepEqual(await credentials.test('https://registry-1.docker.io', 'docker.io'), {
    ok: true,
    message: 'Signed in as bob: Docker Hub reports no pull limit for this account.',
  });
});

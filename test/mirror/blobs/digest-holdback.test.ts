// The held-back last chunk: a client gets the end of a blob only once the whole blob hashed to its
// digest, and a mismatch is the upstream's fault (502), not the client's (400 DIGEST_INVALID).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { DigestHoldback } from '../../../mirror/blobs/digest-holdback.js';
import { RegistryError } from '../../../mirror/errors.js';

const digestOf = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

test('the last chunk is released only when the digest matches', () => {
  const chunks = [Buffer.from('abc'), Buffer.from('def')];
  const holdback = new DigestHoldback(digestOf(Buffer.concat(chunks)));
  assert.equal(holdback.pass(chunks[0]!), null);
  assert.deepEqual(holdback.pass(chunks[1]!), chunks[0]);
  assert.deepEqual(holdback.finish(), chunks[1]);
});

test('bytes that hash to another digest fail as a bad upstream answer (502), never as the client\'s 400', () => {
  const holdback = new DigestHoldback(digestOf(Buffer.from('expected')));
  holdback.pass(Buffer.from('something else'));
  assert.throws(
    () => holdback.finish(),
    (error: unknown) => error instanceof RegistryError && error.status === 502 && error.code === 'UPSTREAM_INVALID' && /hash to sha256:/.test(error.message),
  );
});

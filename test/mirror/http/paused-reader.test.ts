// A client that stops reading in the middle of a cold blob while the download runs on. The
// chunks its socket has not taken yet are the download's own memory, lent to the socket
// (slab-ring.ts); the download may reuse that memory only once the socket took them, so the
// client reads an intact blob when it goes on.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { test } from 'node:test';
import { engineHarness } from '../../support/engine-harness.js';
import { pushBlob, sha256 } from '../../support/images.js';

const harness = engineHarness();

/** Asks for `path`, reads the first bytes, stops reading for `pauseMs`, then reads to the end; the body. */
function pausingGet(port: number, path: string, pauseMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const received: Buffer[] = [];
    socket.once('data', () => {
      socket.pause();
      setTimeout(() => socket.resume(), pauseMs);
    });
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const whole = Buffer.concat(received);
      const bodyAt = whole.indexOf('\r\n\r\n');
      const head = whole.subarray(0, bodyAt).toString('latin1');
      if (!head.startsWith('HTTP/1.1 200')) reject(new Error(`the mirror answered ${head.split('\r\n')[0]}`));
      else resolve(whole.subarray(bodyAt + 4));
    });
    socket.write(`GET ${path} HTTP/1.1\r\nHost: mirror\r\nConnection: close\r\n\r\n`);
  });
}

test('a client that pauses while a cold blob downloads gets it intact when it reads on', async (t) => {
  const mirror = await harness.startMirror(t);
  const data = randomBytes(32 * 1024 * 1024);
  const { digest } = await pushBlob(harness.upstream.registry.url, 'dockmirror/paused', data);
  const port = Number(new URL(mirror.base).port);
  const body = await pausingGet(port, `/v2/dockmirror/paused/blobs/${digest}`, 1_500);
  assert.equal(body.length, data.length);
  assert.equal(sha256(body), digest);
});

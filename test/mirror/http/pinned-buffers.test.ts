// Clients that ask for a blob and never read pin the send buffers already handed to their
// sockets. Against a real mirror process, one after another (the order that let the first of a
// crowd take 1 MiB buffers each), the bytes the pool has lent out must stay within its budget
// plus one small buffer per client, read from the engine's own gauge in /metrics (not RSS).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Agent, request } from 'undici';
import { startEngineProcess, type EngineProcess } from '../../support/cli-process.js';
import { pushRandomImage } from '../../support/images.js';
import { startRegistry, type RunningRegistry } from '../../support/registry.js';

const MiB = 1024 * 1024;
/** The engine's send-buffer budget (engine.ts) and the buffer a stream gets beyond it. */
const budget = 4 * MiB;
const crowdedBuffer = 16 * 1024;
const stuckCount = 24;

let registry: RunningRegistry;
let mirror: EngineProcess;
let workDir: string;
let blobPath: string;

async function lentBytes(): Promise<number> {
  const agent = new Agent();
  try {
    const response = await request(`${mirror.base}/metrics`, { dispatcher: agent });
    const text = await response.body.text();
    const match = /^dockmirror_send_buffers_lent_bytes (\d+)$/m.exec(text);
    assert.ok(match, 'the metrics name the lent send-buffer bytes');
    return Number(match[1]);
  } finally {
    await agent.close();
  }
}

/** Asks for the blob, takes the answer's first bytes and never reads again. */
function stuckClient(): Promise<Socket> {
  const socket = connect({ port: mirror.port, host: '127.0.0.1' });
  socket.on('error', () => {});
  socket.write(`GET ${blobPath} HTTP/1.1\r\nHost: mirror\r\n\r\n`);
  return new Promise((resolve, reject) => {
    socket.once('data', () => {
      socket.pause();
      resolve(socket);
    });
    socket.once('close', () => reject(new Error('the mirror closed a stuck client before answering')));
  });
}

/** Lent bytes once they stopped changing: the stalled streams have taken all they will. */
async function settledLent(): Promise<number> {
  let last = -1;
  for (let i = 0; i < 50; i++) {
    const now = await lentBytes();
    if (now === last) return now;
    last = now;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return last;
}

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'dockmirror-pinned-'));
  registry = await startRegistry();
  // Far more than the kernel buffers of a non-reading loopback connection hold, so answers stall.
  const image = await pushRandomImage(registry.url, { repository: 'library/pinned', tag: '1', sizeBytes: 48 * MiB });
  blobPath = `/v2/library/pinned/blobs/${image.layers[0]!.digest}`;
  // The send timeout stays long: the stalled answers must still be open when the gauge is read.
  mirror = await startEngineProcess({ cacheDir: join(workDir, 'cache'), upstream: registry.url, minFreeBytes: 0, httpTimeouts: { sendMs: 60_000 } });
  const agent = new Agent();
  try {
    const warm = await request(`${mirror.base}${blobPath}`, { dispatcher: agent });
    assert.equal(warm.statusCode, 200);
    await warm.body.dump({ limit: Infinity });
  } finally {
    await agent.close();
  }
});

after(async () => {
  mirror?.kill('SIGKILL');
  await mirror?.exited;
  await registry?.stop();
  await rm(workDir, { recursive: true, force: true });
});

test(`${stuckCount} clients that stop reading, arriving one by one, pin at most the budget plus 16 KiB each`, async () => {
  assert.equal(await lentBytes(), 0, 'nothing is lent while nobody is served');
  const stuck: Socket[] = [];
  try {
    for (let i = 0; i < stuckCount; i++) {
      stuck.push(await stuckClient());
      // Each stalls before the next arrives, as the first of a crowd did.
      await settledLent();
    }
    const lent = await settledLent();
    const bound = budget + stuckCount * crowdedBuffer;
    assert.ok(lent > 0, 'the stalled answers hold send buffers');
    assert.ok(lent <= bound, `lent ${(lent / MiB).toFixed(2)} MiB, bound ${(bound / MiB).toFixed(2)} MiB`);
  } finally {
    for (const socket of stuck) socket.destroy();
  }
  // Their sockets closed: the pool counts nothing lent any more.
  for (let i = 0; i < 50 && (await lentBytes()) > 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(await lentBytes(), 0);
});

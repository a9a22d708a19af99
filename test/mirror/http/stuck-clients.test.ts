// Clients that ask for a blob and never read, against a real mirror process with a small
// open-file limit: they may not hold it. One address gets at most its share of connections (more
// are answered 429), all of them together stay below the fd limit, a response whose socket stops
// draining is destroyed after the send timeout, and a normal client is served throughout.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Agent, request } from 'undici';
import { startEngineProcess, type EngineProcess } from '../../support/cli-process.js';
import { pushRandomImage } from '../../support/images.js';
import { startRegistry, type RunningRegistry } from '../../support/registry.js';

const nofile = 512;
/** What connection-limits.ts leaves for clients under that limit: 512 less 128 kept free, two fds per connection. */
const totalCap = 192;
const perClient = 64;
const sendMs = 1_500;
/** Well below the 10 s keep-alive timeout, so only the send timeout can close the stuck sockets. */
const releasedWithinMs = 6_000;

let registry: RunningRegistry;
let mirror: EngineProcess;
let workDir: string;
let blobPath: string;
let blobDigest: string;
let blobSize: number;
let baselineFds: number;

const openFds = async (): Promise<number> => (await readdir(`/proc/${mirror.pid}/fd`)).length;

async function settledFds(target: number, withinMs: number): Promise<number> {
  const deadline = Date.now() + withinMs;
  let count = await openFds();
  while (count > target && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    count = await openFds();
  }
  return count;
}

/** A reading client: the whole blob, hashed. Retries a connection the full mirror closed at once. */
async function normalPull(localAddress = '127.0.0.1', withinMs = 15_000): Promise<{ digest: string; attempts: number }> {
  const deadline = Date.now() + withinMs;
  for (let attempts = 1; ; attempts++) {
    const agent = new Agent({ localAddress });
    try {
      const response = await request(`${mirror.base}${blobPath}`, { dispatcher: agent });
      assert.equal(response.statusCode, 200);
      const hash = createHash('sha256');
      for await (const chunk of response.body) hash.update(chunk as Buffer);
      return { digest: `sha256:${hash.digest('hex')}`, attempts };
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      await agent.close();
    }
  }
}

interface StuckClient {
  socket: Socket;
  /** The status line of the answer's first bytes, or 'closed' when the mirror closed it first. */
  status: Promise<string>;
}

/** Asks for the blob, takes the first bytes the socket holds, and then never reads again. */
function stuckClient(localAddress: string): StuckClient {
  const socket = connect({ port: mirror.port, host: '127.0.0.1', localAddress });
  socket.on('error', () => {});
  socket.write(`GET ${blobPath} HTTP/1.1\r\nHost: mirror\r\n\r\n`);
  const status = new Promise<string>((resolve) => {
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      resolve(chunk.toString('latin1').split('\r\n')[0]!);
    });
    socket.once('close', () => resolve('closed'));
  });
  return { socket, status };
}

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'dockmirror-stuck-'));
  registry = await startRegistry();
  // Larger than what the kernel buffers of a non-reading connection hold, so its answer sticks.
  const image = await pushRandomImage(registry.url, { repository: 'library/stuck', tag: '1', sizeBytes: 24 * 1024 * 1024 });
  const layer = image.layers[0]!;
  blobPath = `/v2/library/stuck/blobs/${layer.digest}`;
  blobDigest = layer.digest;
  blobSize = layer.size;
  mirror = await startEngineProcess(
    { cacheDir: join(workDir, 'cache'), upstream: registry.url, minFreeBytes: 0, httpTimeouts: { sendMs } },
    { nofile },
  );
  // Cached first: stuck clients then read from the store, as most pulls do.
  assert.equal((await normalPull()).digest, blobDigest);
  baselineFds = await settledFds(0, 2_000);
});

after(async () => {
  mirror?.kill('SIGKILL');
  await mirror?.exited;
  await registry?.stop();
  await rm(workDir, { recursive: true, force: true });
});

test(`one address gets ${perClient} connections; more are answered 429 with an OCI body`, async () => {
  const stuck = Array.from({ length: perClient }, () => stuckClient('127.0.0.2'));
  try {
    const statuses = await Promise.all(stuck.map((client) => client.status));
    assert.deepEqual(new Set(statuses), new Set(['HTTP/1.1 200 OK']), `blob size ${blobSize}`);
    const extra = await request(`${mirror.base}/v2/`, { dispatcher: new Agent({ localAddress: '127.0.0.2' }) });
    assert.equal(extra.statusCode, 429);
    assert.equal(extra.headers.connection, 'close');
    assert.equal(((await extra.body.json()) as { errors: { code: string }[] }).errors[0]!.code, 'TOOMANYREQUESTS');
    // Another host is not held up by that one.
    assert.equal((await normalPull('127.0.0.1', 5_000)).digest, blobDigest);
    assert.ok((await openFds()) >= baselineFds + perClient, 'the stuck connections are open in the mirror');
    // Nothing moves on those sockets, so the send timeout destroys every one of them.
    const fds = await settledFds(baselineFds, releasedWithinMs);
    assert.ok(fds <= baselineFds, `the mirror's fds came back to ${baselineFds} within ${releasedWithinMs} ms (now ${fds})`);
  } finally {
    for (const client of stuck) client.socket.destroy();
  }
});

test('stuck clients from many addresses stay below the fd limit; a normal client is served and fds return', async () => {
  const addresses = ['127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6', '127.0.0.7', '127.0.0.8'];
  const stuck = addresses.flatMap((address) => Array.from({ length: 50 }, () => stuckClient(address)));
  try {
    const statuses = await Promise.all(stuck.map((client) => client.status));
    assert.ok(statuses.some((status) => status === 'HTTP/1.1 200 OK'), statuses.join(', '));
    assert.ok(statuses.every((status) => status === 'HTTP/1.1 200 OK' || status === 'closed'), statuses.join(', '));
    // More than the cap would have run the mirror out of fds for the blob files those answers read:
    // each open answer holds its socket and its blob file.
    const fdsWithCrowd = await openFds();
    assert.ok(fdsWithCrowd < nofile && fdsWithCrowd <= baselineFds + 2 * totalCap + 16, `${fdsWithCrowd} fds with the crowd; at most ${totalCap} answers may be open`);
    // The crowd fills the mirror, yet a host it has not heard from gets in at once: a connection
    // of the address holding the most makes room, instead of the newcomer being turned away.
    const pulled = await normalPull('127.0.0.1');
    assert.equal(pulled.digest, blobDigest);
    assert.equal(pulled.attempts, 1, 'the full mirror turned the new host away before letting it in');
    assert.equal(mirror.child.exitCode, null, 'the mirror is alive');
    const fds = await settledFds(baselineFds, releasedWithinMs);
    assert.ok(fds <= baselineFds, `the mirror's fds came back to ${baselineFds} (now ${fds})`);
    assert.doesNotMatch(mirror.stderr(), /EMFILE/);
  } finally {
    for (const client of stuck) client.socket.destroy();
  }
});
